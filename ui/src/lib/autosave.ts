// Autosave for one field: saves the latest text after a pause in typing, never two saves of the
// same field at once, and always ends with the newest text saved (or an error shown).

export type SaveState = 'idle' | 'pending' | 'saving' | 'saved' | 'error';

export interface AutosaveOptions<R> {
  /** Pause in typing before a save starts, in milliseconds. */
  delay: number;
  save: (value: string) => Promise<R>;
  /** Called on every change of state; `error` is set in state `error`. */
  onChange?: (state: SaveState, error?: unknown) => void;
  onSaved?: (result: R, value: string) => void;
}

export class Autosave<R> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;
  /** Text typed but not yet handed to `save`. */
  private unsaved: string | undefined;
  private current: SaveState = 'idle';
  private lastError: unknown;

  constructor(private readonly options: AutosaveOptions<R>) {}

  get state(): SaveState {
    return this.current;
  }

  get error(): unknown {
    return this.lastError;
  }

  /** The user typed: (re)start the pause timer. */
  input(value: string): void {
    this.unsaved = value;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, this.options.delay);
    if (!this.inFlight) this.set('pending');
  }

  /** Saves now what is typed (leaving the field, closing the case); resolves when all is saved. */
  async flush(): Promise<void> {
    this.clearTimer();
    await this.run();
  }

  /** Stops the timer without saving (the component is going away after a flush). */
  dispose(): void {
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private set(state: SaveState, error?: unknown): void {
    this.current = state;
    this.lastError = state === 'error' ? error : undefined;
    this.options.onChange?.(state, error);
  }

  /** Saves until nothing typed remains unsaved; one save at a time. */
  private async run(): Promise<void> {
    if (this.inFlight) {
      // The running loop picks the new text up when its save returns.
      await this.inFlight;
      return;
    }
    if (this.unsaved === undefined) return;
    this.inFlight = this.loop();
    try {
      await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async loop(): Promise<void> {
    while (this.unsaved !== undefined) {
      const value = this.unsaved;
      this.unsaved = undefined;
      this.set('saving');
      try {
        const result = await this.options.save(value);
        this.options.onSaved?.(result, value);
      } catch (error) {
        // Keep the text so the next keystroke or flush tries again, unless newer text came.
        if (this.unsaved === undefined) this.unsaved = value;
        this.set('error', error);
        return;
      }
    }
    this.set(this.timer === undefined ? 'saved' : 'pending');
  }
}

const severity: Record<SaveState, number> = { idle: 0, saved: 1, pending: 2, saving: 3, error: 4 };

/** What the editor shows for all its fields: the most pressing state of any of them. */
export function combineStates(states: Iterable<SaveState>): SaveState {
  let worst: SaveState = 'idle';
  for (const state of states) {
    if (severity[state] > severity[worst]) worst = state;
  }
  return worst;
}
