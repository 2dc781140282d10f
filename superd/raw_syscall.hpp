// RawSyscall: a system call that returns -errno instead of setting errno.
// For a child created with clone(CLONE_VM) that runs while its parent goes
// on: the two share memory, including the parent's errno, so the child must
// never write errno (glibc's wrappers and syscall(2) do). Header-only,
// async-signal-safe, allocation-free. kAvailable is false on architectures
// without an implementation here; the spawner then uses vfork only.
#pragma once

namespace superd::raw {

#if defined(__x86_64__)
inline constexpr bool kAvailable = true;
inline long Syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0) {
  long ret;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
inline constexpr bool kAvailable = true;
inline long Syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
                   : "memory");
  return x0;
}
#else
inline constexpr bool kAvailable = false;
inline long Syscall(long, long = 0, long = 0, long = 0, long = 0) { return -38; }
#endif

}  // namespace superd::raw
