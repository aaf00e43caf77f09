// A `Crm` over a transport that answers from `answer` and records every request sent, for the
// tests of what the data-access layer sends and how it reads the answers.
import { Crm } from "../src/api";
import type { AppEvent, Json, Transport } from "../src/api";

export function fakeCrm(answer: (req: Record<string, Json>) => Json) {
  const sent: Record<string, Json>[] = [];
  const transport: Transport = {
    async call(req) {
      sent.push(req as Record<string, Json>);
      return answer(req as Record<string, Json>);
    },
    listen: (_: (e: AppEvent) => void) => () => undefined,
  };
  return { crm: new Crm(transport), sent };
}
