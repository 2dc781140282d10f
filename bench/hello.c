/* hello - the tiny stdio service that every server in the benchmark runs:
 * writes one short fixed line to stdout (the connection) and exits, so that
 * one connection costs exactly one process.
 *
 * On x86-64 and arm64 it is built without libc (gcc -static -nostdlib
 * -DHELLO_NOLIBC): a process that makes two system calls. That keeps the
 * C library's start-up (which on a VM spends most of its time in trapped
 * CPUID instructions) out of what is measured, so the figures show the
 * super-server rather than the service. Elsewhere it is an ordinary C
 * program. */
#if defined(HELLO_NOLIBC) && defined(__x86_64__)
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return r;
}
#define SYS_WRITE 1
#define SYS_EXIT_GROUP 231
#elif defined(HELLO_NOLIBC) && defined(__aarch64__)
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
#define SYS_WRITE 64
#define SYS_EXIT_GROUP 94
#endif

static const char line[] = "hello\r\n";

#ifdef SYS_WRITE
void _start(void) {
  long n = sys3(SYS_WRITE, 1, (long)line, sizeof line - 1);
  sys3(SYS_EXIT_GROUP, n == (long)(sizeof line - 1) ? 0 : 1, 0, 0);
  for (;;) {
  }
}
#else
#include <unistd.h>

int main(void) {
  ssize_t n = write(1, line, sizeof line - 1);
  return n == (ssize_t)(sizeof line - 1) ? 0 : 1;
}
#endif
