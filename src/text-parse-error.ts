/**
 * Why a piece of user-written text (a duration, a time, a schedule, a feature name) does
 * not parse. Not an AggError: the caller knows where the text came from (file:line or a
 * flag) and wraps it. `reason` says what is wrong and, where it can, the exact fix;
 * `hint` says what is allowed.
 */
export abstract class TextParseError extends Error {
  readonly reason: string;
  readonly hint: string;
  readonly input: string;

  protected constructor(what: string, input: string, reason: string, hint: string) {
    super(`invalid ${what} ${JSON.stringify(input)}: ${reason}`);
    this.input = input;
    this.reason = reason;
    this.hint = hint;
  }
}
