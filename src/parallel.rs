//! The one worker pool of the pipeline: a fixed number of scoped threads, one per core, taking
//! items in turn. Loading parses plans with it, rendering lays out packets and renders the private
//! index's sections. Hand-written rather than rayon: rayon's work stealing starts more packets
//! than there are cores while one waits, each holding a Typst document's memory.

/// How many threads work at once: one per core this process may use.
pub(crate) fn cores() -> usize {
    // Asked once: on Linux the answer reads the cgroup's files, and a build asks per batch (2 % of
    // a build with nothing to do at 1,000 plans).
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `f` over `items` on one worker per core, each taking the next item when free, and returns
/// the results in order. Exactly that many packets are in flight: Typst parallelises inside one
/// document too, and a work-stealing pool would start ever more documents while waiting, each
/// holding its memory.
pub(crate) fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = cores().min(items.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break done };
                        done.push((i, f(item)));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a worker thread panicked")).collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}
