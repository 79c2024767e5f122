/*
 * Test helper for tests/security: each sub-command makes one call an
 * attacker inside a container would make, and prints "OK" or "ERR <ENAME>".
 * Built statically by the test setup (gcc from Debian) and copied into the
 * test image. Compiled and run only by the tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

static int result(long rc) {
  if (rc < 0) {
    printf("ERR %s\n", strerrorname_np(errno));
    return 1;
  }
  printf("OK\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *t = argv[1];
  if (!strcmp(t, "open_by_handle")) {
    /* "shocker": a forged handle for inode 2 (the root of most filesystems) */
    struct { unsigned int bytes; int type; unsigned char h[8]; } fh = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}};
    int mfd = open("/", O_RDONLY);
    return result(syscall(SYS_open_by_handle_at, mfd, &fh, O_RDONLY));
  }
  if (!strcmp(t, "bpf_map")) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = 4;
    a.value_size = 4;
    a.max_entries = 1;
    return result(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a));
  }
  if (!strcmp(t, "perf_cpu")) {
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_CPU_CLOCK;
    return result(syscall(SYS_perf_event_open, &a, -1, 0, -1, 0));
  }
  if (!strcmp(t, "keyring")) {
    /* describe the session keyring: a fresh one is named _ses.<id> */
    char buf[256];
    long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, KEY_SPEC_SESSION_KEYRING, buf, sizeof buf - 1);
    if (n < 0) return result(n);
    buf[n < (long)sizeof buf ? n : (long)sizeof buf - 1] = 0;
    printf("OK %s\n", buf);
    return 0;
  }
  if (!strcmp(t, "mount_cgroup")) {
    mkdir("/tmp/cg", 0755);
    return result(mount("cgroup", "/tmp/cg", "cgroup", 0, argc > 2 ? argv[2] : "memory"));
  }
  if (!strcmp(t, "mount_proc")) {
    mkdir("/tmp/p", 0755);
    return result(mount("proc", "/tmp/p", "proc", 0, NULL));
  }
  if (!strcmp(t, "unshare_user")) return result(unshare(CLONE_NEWUSER));
  if (!strcmp(t, "umount")) return result(umount2(argv[2], MNT_DETACH));
  if (!strcmp(t, "remount_rw")) return result(mount(NULL, argv[2], NULL, MS_REMOUNT | MS_BIND, NULL));
  if (!strcmp(t, "mknod_open")) {
    unlink(argv[2]);
    if (mknod(argv[2], S_IFCHR | 0600, makedev(atoi(argv[3]), atoi(argv[4]))) < 0) return result(-1);
    return result(open(argv[2], O_RDONLY));
  }
  if (!strcmp(t, "open")) return result(open(argv[2], argc > 3 ? O_WRONLY : O_RDONLY));
  fprintf(stderr, "unknown test %s\n", t);
  return 2;
}
