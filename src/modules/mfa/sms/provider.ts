// SMS providers behind one interface; each file speaks one provider's real HTTP API.
export interface SmsProvider {
  readonly name: string;
  /** Sends `text` to an E.164 number; throws when the provider refuses. */
  send(to: string, text: string): Promise<void>;
}
