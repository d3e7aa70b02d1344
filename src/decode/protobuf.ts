// Placeholder until the protobuf decoder lands (OTLP ExportTraceServiceRequest / tempopb).
import { DecodeError, type DecodedInput } from "./types";

export function decodeProtobuf(_bytes: Uint8Array, _raw: number, _contentType?: string): DecodedInput {
  throw new DecodeError("protobuf input is not supported yet");
}
