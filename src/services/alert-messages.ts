// What an alert target receives: the alert as JSON for a webhook (signed by the delivery agent
// with the SHA-256 of the target's secret), or a Slack incoming-webhook message that reads well.
import type { Alert, AlertTarget } from '../domain/alerts.js';

/** The event name of alert deliveries (the `x-webhook-event` header and the body's `event`). */
export const ALERT_EVENT = 'budget.alert';

/** One alert ready to send to a target: the body, and the key that signs it (none for Slack). */
export interface AlertMessage {
  url: string;
  body: string;
  signingKey: Buffer | null;
}

const credits = (n: number) => n.toLocaleString('en-US');

/** Whose budget: the team's, or one of its keys'. */
function scopeOf(alert: Alert): string {
  return alert.keyId ? `key \`${alert.keyId}\` of team *${alert.team}*` : `team *${alert.team}*`;
}

/** One sentence saying what happened, in Slack's mrkdwn. */
function alertSentence(alert: Alert): string {
  if (alert.kind === 'overrun') {
    return (
      `Overrun: a job of ${scopeOf(alert)} cost ${credits(alert.credits)} credits more than its reservation ` +
      `(the team has spent ${credits(alert.spent)} credits in ${alert.window}).`
    );
  }
  return (
    `Budget alert: ${scopeOf(alert)} has used ${alert.threshold}% of its budget for ${alert.window}: ` +
    `${credits(alert.spent)} of ${credits(alert.limit ?? 0)} credits.`
  );
}

function slackMessage(alert: Alert) {
  const text = `${alert.kind === 'overrun' ? ':rotating_light:' : ':warning:'} ${alertSentence(alert)}`;
  const facts = [
    `*Window* ${alert.window}`,
    `*Spent* ${credits(alert.spent)}${alert.limit === null ? '' : ` / ${credits(alert.limit)}`} credits`,
    `*At* ${alert.at}`,
  ];
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: facts.map((fact) => ({ type: 'mrkdwn', text: fact })) },
    ],
  };
}

/** The webhook body: the alert without its deliveries' states. */
function webhookPayload({ deliveries: _deliveries, ...alert }: Alert) {
  return { event: ALERT_EVENT, alert };
}

export function alertMessage(alert: Alert, target: AlertTarget): AlertMessage {
  if (target.format === 'slack')
    return { url: target.url, body: JSON.stringify(slackMessage(alert)), signingKey: null };
  const body = JSON.stringify(webhookPayload(alert));
  return { url: target.url, body, signingKey: Buffer.from(target.secretHash, 'hex') };
}
