/**
 * Runs `work` and waits for it at most `timeoutMillis`. Never rejects: the outcome is "done",
 * "timeout", or the error. The timer never keeps the process alive; work that outlives it
 * goes on in the background, its outcome ignored.
 */
export async function withTimeout(work: () => Promise<void>, timeoutMillis: number): Promise<"done" | "timeout" | Error> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMillis);
    timer.unref?.();
  });
  const finished = Promise.resolve()
    .then(work)
    .then(
      () => "done" as const,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
  try {
    return await Promise.race([finished, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
