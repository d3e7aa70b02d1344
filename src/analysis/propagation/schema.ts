// The zod shape of the report's `coverage` section (referenced from src/report/schema.ts).
import { z } from "zod";

const RatioSchema = z
  .object({ propagated: z.number().int().nonnegative(), total: z.number().int().nonnegative() })
  .strict();

export const CoverageSectionSchema = z
  .object({
    services: z
      .array(
        z
          .object({
            service: z.string(),
            inbound: RatioSchema.describe("Calls into this service, and how many continued the caller's trace."),
            outbound: RatioSchema.describe("Calls this service made to other services, and how many continued the trace."),
            externalCalls: z
              .number()
              .int()
              .nonnegative()
              .describe("CLIENT/PRODUCER spans whose target is no audited service (databases, external hosts, unconsumed queues)."),
          })
          .strict(),
      )
      .describe("Per service, worst coverage first."),
    edges: z
      .array(
        z
          .object({
            from: z.string().describe("Calling service."),
            to: z.string().describe("Called service."),
            propagated: z.number().int().nonnegative().describe("Calls that continued the trace (callee span has the call as parent, or links to it)."),
            total: z.number().int().nonnegative(),
            splitTraces: z.number().int().nonnegative().describe("Unpropagated calls paired with a root span the callee started in another trace."),
            undecided: z
              .number()
              .int()
              .positive()
              .optional()
              .describe(
                "Calls not counted in `total` because the audit cannot judge them: messages whose consumption the audited data cannot show (produced after the consumer's last consumption seen, or the consumer continues context through links whose linking traces are mostly absent, as in a sampled audit), and calls to a callee that continues context through links that the analysis did not keep individually (past its caps) to match with a link. Absent when none.",
              ),
          })
          .strict(),
      )
      .describe("Per caller→callee edge, worst coverage first."),
    callsNotCounted: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "CLIENT/PRODUCER calls the analysis' bounded state did not count at all (its call table was full, or past its budget for calls known only by an address, such as pod IPs, the call's address was not yet known to lead to a service): they are in no edge and no `externalCalls`, so an edge made only of such calls is missing. Absent when none.",
      ),
  })
  .strict();
