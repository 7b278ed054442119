// LD_PRELOAD shim for tests/fault/test_fsync_error.py: makes fdatasync and
// fsync fail with EIO, at random, while a control file says so.
//
// SPATE_SYNC_FAULT_FILE names the control file. While it exists and holds a
// probability p (e.g. "0.05"), each call fails with that probability, without
// calling the real function (as a failed writeback would look to the caller).
// Without the file, calls go through. Used instead of libfiu's fiu-run, whose
// interposition of malloc and mmap deadlocks with jemalloc.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static _Atomic uint64_t rng_state = 0x9E3779B97F4A7C15ull;

// Reads the probability with open/read only: no allocation, no stdio.
static double FaultProbability(void) {
  const char* path = getenv("SPATE_SYNC_FAULT_FILE");
  if (path == NULL) return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  return strtod(buf, NULL);
}

static int ShouldFail(void) {
  double p = FaultProbability();
  if (p <= 0) return 0;
  uint64_t x = atomic_fetch_add(&rng_state, 0x9E3779B97F4A7C15ull);
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return (double)(x >> 11) / (double)(1ull << 53) < p;
}

static int Intercept(int (*real)(int), int fd) {
  if (ShouldFail()) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  return Intercept(real, fd);
}

int fsync(int fd) {
  static int (*real)(int);
  if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  return Intercept(real, fd);
}
