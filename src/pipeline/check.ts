// `check`: decode a set of named inputs, group spans by trace across all of them, run the rules,
// and produce a report. Runtime-neutral: the caller supplies the bytes (files, stdin, objects).
import { Analyzer } from "../engine/analyzer";
import { TraceAssembler } from "../engine/assemble";
import { TraceBatcher } from "../engine/batch";
import type { ResolvedConfig } from "../engine/config";
import { decodeInput, DecodeError, SpanLimitError } from "../decode/index";
import type { Report } from "../report/schema";

export interface NamedInput {
  name: string;
  /** Loads the bytes; a thrown error is recorded against the input and the run goes on. */
  read(): Promise<Uint8Array>;
  contentType?: string;
}

export interface CheckProgress {
  inputsDone: number;
  inputsTotal: number | undefined;
  spans: number;
}

export interface CheckOptions {
  /**
   * Spans held at most: every span is kept until all inputs are read (a trace may span files), so
   * memory grows with the input. Once this many are held, the inputs left are not read; an input
   * that would take the count past it is not analysed (its decoding stops at the limit). Each is
   * an input error saying so, and the spans read so far are analysed. Unlimited when absent.
   */
  maxSpans?: number;
  onProgress?: (progress: CheckProgress) => void;
  /** Called for each input problem as it happens (the report lists them too). */
  onInputError?: (name: string, message: string) => void;
  now?: Date;
}

/** An input left unread because the check holds `maxSpans` spans already. */
class SpanBudgetError extends Error {}

export async function checkInputs(
  inputs: Iterable<NamedInput> | AsyncIterable<NamedInput>,
  config: ResolvedConfig,
  options: CheckOptions = {},
): Promise<Report> {
  const analyzer = new Analyzer(config);
  const assembler = new TraceAssembler();
  const total = Array.isArray(inputs) ? inputs.length : undefined;
  let done = 0;
  const fail = (name: string, message: string) => {
    analyzer.recordInputError(name, message);
    options.onInputError?.(name, message);
  };
  for await (const input of inputs) {
    analyzer.noteInput();
    try {
      if (options.maxSpans !== undefined && assembler.spanCount >= options.maxSpans) {
        throw new SpanBudgetError(`not read: the check already holds ${assembler.spanCount} spans (limit ${options.maxSpans}); check fewer files at a time`);
      }
      const bytes = await input.read();
      const decoded = await decodeInput(bytes, {
        name: input.name,
        ...(input.contentType ? { contentType: input.contentType } : {}),
        // One input may not take more than the budget left: a single huge file stops decoding there.
        ...(options.maxSpans !== undefined ? { maxSpans: options.maxSpans - assembler.spanCount } : {}),
      });
      for (const message of decoded.errors) fail(input.name, message);
      // Read, but not as the producer meant (hex IDs in a base64 document): listed with the input
      // problems, since a file Tempo would misread is one to fix.
      for (const message of decoded.warnings) fail(input.name, message);
      if (decoded.spans.length === 0 && decoded.errors.length === 0 && !decoded.notFound) {
        fail(input.name, "no spans in input");
      }
      assembler.add(decoded.spans, decoded.partial?.reason);
    } catch (error) {
      const message =
        error instanceof SpanLimitError
          ? `not analysed: it holds more than the ${error.limit} spans left of the limit of ${options.maxSpans} (${assembler.spanCount} held already); check fewer or smaller files at a time`
          : error instanceof DecodeError
            ? error.message.replace(`${input.name}: `, "")
            : error instanceof SpanBudgetError
              ? error.message
              : `cannot read: ${(error as Error).message}`;
      fail(input.name, message);
    }
    done++;
    options.onProgress?.({ inputsDone: done, inputsTotal: total, spans: assembler.spanCount });
  }
  const batcher = new TraceBatcher(analyzer);
  for (const trace of assembler.drain()) batcher.add(trace);
  batcher.flush();
  return analyzer.finish(options.now);
}
