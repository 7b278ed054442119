// jemalloc's compiled-in options for spated (linked only when spated is built
// with jemalloc, SPATE_JEMALLOC). The MALLOC_CONF environment variable still
// overrides them.
//
// oversize_threshold: jemalloc serves allocations at or above it (8 MiB by
// default) from a dedicated arena that returns freed pages to the kernel at
// once, so every such allocation is faulted in again page by page. A full
// GetRecords answer is one such buffer (10 MiB of data is ~14 MB of base64
// JSON, up to ~18 MB with the per-record members), allocated and freed once
// per call: at the default, page faults took more than half of the server's
// CPU time in a one-shard drain (bench/read/drain.sh: 69 -> 183 MB of record
// data per CPU-second with the threshold above the largest answer). 32 MiB
// keeps the largest answer in the ordinary arenas, whose freed pages are
// reused and returned to the kernel only after the decay time (10 s).
extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name jemalloc looks up.
const char* malloc_conf = "oversize_threshold:33554432";
}
