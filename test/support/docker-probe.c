/* Test-only syscall probe, built static into its own FROM-scratch image (never the worker image).
 * Each probe issues one raw syscall and prints {"probe":name,"ret":r,"errno":e} on its own line. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *name, long ret) {
  printf("{\"probe\":\"%s\",\"ret\":%ld,\"errno\":%d}\n", name, ret, ret < 0 ? errno : 0);
  fflush(stdout);
}
static void reap_if_child(long ret) {
  if (ret == 0) _exit(0); /* we are a child that should not exist: leave at once */
  if (ret > 0) waitpid((pid_t)ret, NULL, 0);
}
static void *thread_main(void *arg) { return arg; }
static long int80(long nr, long ebx, long ecx, long rdi, long rsi) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(ebx), "c"(ecx), "d"(0L), "D"(rdi), "S"(rsi) : "memory");
  return ret;
}
static void report_int80(const char *name, long ret) {
  printf("{\"probe\":\"%s\",\"ret\":%ld,\"errno\":%ld}\n", name, ret < 0 ? -1 : ret, ret < 0 ? -ret : 0L);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "x32") == 0) {
    report("x32_getpid", syscall(0x40000000 | SYS_getpid));
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "int80") == 0) {
    /* Each int 0x80 sets the i386 argument registers (ebx, ecx, edx) AND the x86_64 ones (rdi,
     * rsi, rdx) to different values, so the answer tells which table ran it: the host's IA-32
     * table, or a native x86_64 interpretation of the same number (gVisor's Sentry). */
    report_int80("int80_getpid", int80(20, 0, 0, -1, 0)); /* i386 getpid | x86_64 writev(-1) EBADF */
    report_int80("int80_time", int80(13, 0, 0, -1, 0)); /* i386 time(NULL) | x86_64 rt_sigaction(-1) EINVAL */
    report_int80("int80_nr39", int80(39, 0, 0, 0, 0)); /* i386 mkdir(NULL) EFAULT | x86_64 getpid */
    report_int80("int80_nr41", int80(41, -1, 0, 2, 1)); /* i386 dup(-1) EBADF | x86_64 socket(AF_INET) */
    return 0;
  }
  char buf[64] = {0};
  uint64_t clone3_args[11] = {0};
  clone3_args[4] = SIGCHLD; /* exit_signal */
  struct { uint32_t sq, cq, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd, resv[3]; char rest[80]; } uring;
  memset(&uring, 0, sizeof uring);

  /* Order and arguments are chosen so the CONTROL run (seccomp unconfined, root, the needed caps
   * added) reaches each syscall's own kernel code without side effects outside the container:
   * calls that change the process (namespaces, root) come last (unshare_user before chroot: a
   * chrooted caller may not create a user namespace), execveat names a missing file,
   * kexec_load asks for more segments than the kernel accepts, reboot asks CAD_ON (EINVAL in a
   * child pid namespace), ptrace targets a pid that does not exist, pivot_root a missing put_old. */
  report("socket_unix", syscall(SYS_socket, 1, 1, 0));
  report("socket_inet", syscall(SYS_socket, 2, 1, 0));
  report("socket_inet6", syscall(SYS_socket, 10, 2, 0));
  report("socket_netlink", syscall(SYS_socket, 16, 3, 0));
  report("socket_packet", syscall(SYS_socket, 17, 3, 0));
  report("socket_alg", syscall(SYS_socket, 38, 5, 0));
  report("socket_vsock", syscall(SYS_socket, 40, 1, 0));
  report("socketpair_inet", syscall(SYS_socketpair, 2, 1, 0, (int[2]){0, 0}));
  pthread_t thread;
  int terr = pthread_create(&thread, NULL, thread_main, NULL);
  if (terr == 0) pthread_join(thread, NULL);
  errno = terr;
  report("pthread_create", terr == 0 ? 0 : -1);
  long r = syscall(SYS_fork); reap_if_child(r); report("fork", r);
  r = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L); reap_if_child(r); report("clone_process", r);
  r = syscall(SYS_clone, (long)(0x10000000 | SIGCHLD), 0L, 0L, 0L, 0L); reap_if_child(r); report("clone_newuser", r);
  r = syscall(SYS_clone3, clone3_args, sizeof clone3_args); reap_if_child(r); report("clone3", r);
  report("ptrace", syscall(SYS_ptrace, 7 /* PTRACE_CONT */, 0x3ffffff0L /* no such pid */, 0, 0));
  report("process_vm_readv", syscall(SYS_process_vm_readv, 1, NULL, 0, NULL, 0, 0));
  report("mount", syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL));
  report("umount2", syscall(SYS_umount2, "/tmp", 0));
  report("pivot_root", syscall(SYS_pivot_root, "/tmp", "/no-such-dir"));
  report("setns", syscall(SYS_setns, 0, 0));
  report("bpf", syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, buf, 0));
  report("perf_event_open", syscall(SYS_perf_event_open, buf, 0, -1, -1, 0));
  report("userfaultfd", syscall(SYS_userfaultfd, 0));
  report("keyctl", syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0));
  report("add_key", syscall(SYS_add_key, "user", "k", "v", 1, -3));
  report("request_key", syscall(SYS_request_key, "user", "k", NULL, 0));
  report("io_uring_setup", syscall(SYS_io_uring_setup, 1, &uring));
  report("memfd_create", syscall(SYS_memfd_create, "x", 0));
  report("execveat", syscall(SYS_execveat, -100, "/no-such-file", NULL, NULL, 0));
  report("open_by_handle_at", syscall(SYS_open_by_handle_at, -100, buf, 0));
  report("name_to_handle_at", syscall(SYS_name_to_handle_at, -100, "/", buf, buf, 0));
  report("kexec_load", syscall(SYS_kexec_load, 0, 17 /* > KEXEC_SEGMENT_MAX */, NULL, 0));
  report("reboot", syscall(SYS_reboot, 0xfee1dead, 672274793, 0x89abcdef /* CAD_ON */, NULL));
  report("init_module", syscall(SYS_init_module, buf, 0, ""));
  report("personality_no_aslr", syscall(SYS_personality, 0x0040000));
  report("unshare_ns", syscall(SYS_unshare, 0x20000));
  report("unshare_user", syscall(SYS_unshare, 0x10000000));
  report("chroot", syscall(SYS_chroot, "/"));
  report("getpid", syscall(SYS_getpid));
  return 0;
}
