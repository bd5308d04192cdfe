/**
 * The registry of Stasis applications, as res_stasis.c keeps it (`apps_registry`). An application
 * is *registered* while it is in the registry and *active* while an event WebSocket is its handler
 * (res/stasis/app.c:app_is_active). When its WebSocket closes it is only deactivated
 * (app_deactivate): it stays registered, with its channels and bridges, as long as it holds any;
 * events for it are dropped meanwhile (app_send: "Inactive Stasis app missed message"). It leaves
 * the registry lazily, once it has neither handler nor subscriptions (app_is_finished, cleanup()).
 * One WebSocket at a time is the handler: a second one registering the same name takes over and
 * the first gets ApplicationReplaced (app_update). See test/fixtures/ari-traces/README.md.
 */
export type AppEvent = Record<string, unknown> & { type: string };
export type Sink = (event: AppEvent) => void;

export class StasisApps {
  /** Registered applications and their handler (undefined: deactivated, its WebSocket is gone). */
  private readonly registry = new Map<string, { handler: Sink | undefined }>();

  /**
   * @param holds whether the application still has channels or bridges subscribed (its forwards)
   * @param replaced builds the ApplicationReplaced event the previous handler receives
   */
  constructor(
    private readonly holds: (app: string) => boolean,
    private readonly replaced: (app: string) => AppEvent,
  ) {}

  /** A WebSocket registers `app` (stasis_app_register): returns its unregistration. */
  register(app: string, sink: Sink): () => void {
    const entry = this.registry.get(app);
    if (entry === undefined) this.registry.set(app, { handler: sink });
    else {
      const previous = entry.handler;
      entry.handler = sink;
      // ari_websockets.c: the replaced session forgets the app, so its own close later does not
      // deactivate the application for the WebSocket that took it over.
      if (previous !== undefined && previous !== sink) previous(this.replaced(app));
    }
    this.cleanup();
    return () => this.unregister(app, sink);
  }

  private unregister(app: string, sink: Sink): void {
    const entry = this.registry.get(app);
    if (entry?.handler === sink) entry.handler = undefined;
    this.cleanup();
  }

  /** Delivers an event to the application's handler; without one it is lost, never queued. */
  send(app: string, event: AppEvent): void {
    this.registry.get(app)?.handler?.(event);
  }

  isRegistered(app: string): boolean {
    return this.registry.has(app);
  }

  isActive(app: string): boolean {
    return this.registry.get(app)?.handler !== undefined;
  }

  names(): string[] {
    return [...this.registry.keys()];
  }

  /** res_stasis.c:cleanup(): drops applications with no handler and nothing subscribed. */
  cleanup(): void {
    for (const [app, entry] of this.registry) {
      if (entry.handler === undefined && !this.holds(app)) this.registry.delete(app);
    }
  }
}
