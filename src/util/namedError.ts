/**
 * An Error class of its own name: logs and `error.name` checks (across module copies, where
 * `instanceof` fails) tell the kinds apart. For errors that carry nothing but their message.
 */
export function namedError(name: string): new (message: string) => Error {
  return class extends Error {
    constructor(message: string) {
      super(message);
      this.name = name;
    }
  };
}
