// Destination type → request builder.
import type { DestinationConfig } from "../config";
import type { Alert, PreparedRequest } from "../types";
import { prepareDiscord } from "./discord";
import { prepareGeneric } from "./generic";
import { prepareGoogleChat } from "./google-chat";
import { prepareSlack } from "./slack";
import { isRetiredTeamsConnector, prepareTeams } from "./teams";

export class DestinationConfigError extends Error {
  override name = "DestinationConfigError";
}

export function prepareRequest(alert: Alert, destination: DestinationConfig, url: string, env: Record<string, string | undefined>): PreparedRequest {
  switch (destination.type) {
    case "slack":
      return prepareSlack(alert, url);
    case "teams":
      if (isRetiredTeamsConnector(url)) {
        throw new DestinationConfigError(`destination ${destination.name}: Office 365 connector webhooks are retired; create a Teams Workflows webhook ("Post to a channel when a webhook request is received") and use its URL`);
      }
      return prepareTeams(alert, url);
    case "discord":
      return prepareDiscord(alert, url);
    case "google-chat":
      return prepareGoogleChat(alert, url);
    case "generic": {
      const secret = destination.secretEnv ? env[destination.secretEnv] : undefined;
      if (destination.secretEnv && !secret) throw new DestinationConfigError(`destination ${destination.name}: ${destination.secretEnv} (signing secret) is not set`);
      return prepareGeneric(alert, url, secret, destination.maxBytes);
    }
  }
}
