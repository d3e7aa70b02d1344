// A clock for the serve scheduler tests: it moves only when told, and fires due timers in time order.
import type { Timers } from "../../src/cli/serve";

/** A clock that only moves when told, with timers fired in time order. */
export function fakeTimers(start: Date): Timers & { advance(ms: number): Promise<void> } {
  let now = start.getTime();
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  return {
    now: () => new Date(now),
    setTimer: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimer: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
    advance: async (ms) => {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const due = timers[0];
        if (!due || due.at > end) break;
        timers.shift();
        now = due.at;
        due.fn();
        await new Promise((r) => setImmediate(r));
      }
      now = end;
    },
  };
}
