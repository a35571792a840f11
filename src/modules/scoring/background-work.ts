/** Work a scoring runtime started and did not wait for (scoring changed records, training, rescoring). */
export class BackgroundWork {
  private readonly inflight = new Set<Promise<unknown>>();

  track<T>(promise: Promise<T>): Promise<T> {
    this.inflight.add(promise);
    void promise.catch(() => undefined).finally(() => this.inflight.delete(promise));
    return promise;
  }

  /** Resolves when everything tracked so far, and whatever it started meanwhile, has settled. */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }
}
