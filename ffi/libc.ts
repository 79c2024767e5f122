/**
 * The libc symbol table and the one place libc is opened (symbol by symbol).
 *
 * Requires `--allow-ffi`. Every call that can fail is wrapped elsewhere in
 * `ffi/` so that errno is read straight after the call on the same thread.
 * @module
 */

import { AT_FDCWD, AT_SYMLINK_NOFOLLOW } from "./consts.ts";

const SYMBOLS = {
  /** int unshare(int flags) */
  unshare: { parameters: ["i32"], result: "i32" },
  /** int setns(int fd, int nstype) */
  setns: { parameters: ["i32", "i32"], result: "i32" },
  /** int mount(const char *src, const char *tgt, const char *fstype, unsigned long flags, const void *data) */
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
  /** int umount2(const char *target, int flags) */
  umount2: { parameters: ["buffer", "i32"], result: "i32" },
  /** long syscall(long nr, const char *a, const char *b) — used for pivot_root */
  syscall: { parameters: ["i64", "buffer", "buffer"], result: "i64" },
  /** int sethostname(const char *name, size_t len) */
  sethostname: { parameters: ["buffer", "usize"], result: "i32" },
  /** int chdir(const char *path) */
  chdir: { parameters: ["buffer"], result: "i32" },
  /** int chroot(const char *path) */
  chroot: { parameters: ["buffer"], result: "i32" },
  /** int execve(const char *path, char *const argv[], char *const envp[]) */
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  /** int mknod(const char *path, mode_t mode, dev_t dev) */
  mknod: { parameters: ["buffer", "u32", "u64"], result: "i32" },
  /** int ioctl(int fd, unsigned long req, void *arg) */
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  /** int prctl(int option, unsigned long a2, a3, a4, a5) */
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  /** pid_t getpid(void) */
  getpid: { parameters: [], result: "i32" },
  /** int kill(pid_t pid, int sig) */
  kill: { parameters: ["i32", "i32"], result: "i32" },
  /** int socketpair(int domain, int type, int protocol, int sv[2]) */
  socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  /** int socket(int domain, int type, int protocol) */
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /** int connect(int fd, const struct sockaddr *addr, socklen_t len) */
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int fcntl(int fd, int cmd, int arg) */
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /** int close(int fd) */
  close: { parameters: ["i32"], result: "i32" },
  /** ssize_t read(int fd, void *buf, size_t n) — blocking, on the caller's thread */
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** ssize_t read(...) run on a worker thread (returns a Promise) */
  read_async: {
    name: "read",
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
  /** int poll(struct pollfd *fds, nfds_t n, int timeout) run on a worker thread (returns a Promise) */
  poll_async: {
    name: "poll",
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /** ssize_t write(int fd, const void *buf, size_t n) */
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) */
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  /** ssize_t recvmsg(int fd, struct msghdr *msg, int flags) */
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  /** recvmsg on a worker thread */
  recvmsg_async: {
    name: "recvmsg",
    parameters: ["i32", "buffer", "i32"],
    result: "isize",
    nonblocking: true,
  },
  /** int dup2(int old, int new) */
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  /** pid_t setsid(void) */
  setsid: { parameters: [], result: "i32" },
  /** int setuid(uid_t) */
  setuid: { parameters: ["u32"], result: "i32" },
  /** int setgid(gid_t) */
  setgid: { parameters: ["u32"], result: "i32" },
  /** int setgroups(size_t n, const gid_t *list) */
  setgroups: { parameters: ["usize", "buffer"], result: "i32" },
  /** mode_t umask(mode_t) */
  umask: { parameters: ["u32"], result: "u32" },
  /** int open(const char *path, int flags, mode_t mode) */
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  /** int unlockpt(int fd) */
  unlockpt: { parameters: ["i32"], result: "i32" },
  /** int ptsname_r(int fd, char *buf, size_t len) */
  ptsname_r: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  /** int tcgetattr(int fd, struct termios *t) */
  tcgetattr: { parameters: ["i32", "buffer"], result: "i32" },
  /** int tcsetattr(int fd, int act, const struct termios *t) */
  tcsetattr: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  /** int lchown(const char *path, uid_t, gid_t) */
  lchown: { parameters: ["buffer", "u32", "u32"], result: "i32" },
  /** int lsetxattr(const char *path, const char *name, const void *v, size_t n, int flags) */
  lsetxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "i32"], result: "i32" },
  /** ssize_t lgetxattr(const char *path, const char *name, void *v, size_t n) */
  lgetxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
  /** ssize_t llistxattr(const char *path, char *list, size_t n) */
  llistxattr: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  /** int utimensat(int dirfd, const char *path, const struct timespec t[2], int flags) */
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  /** int futimens(int fd, const struct timespec t[2]) */
  futimens: { parameters: ["i32", "buffer"], result: "i32" },
  /** int fchmodat(int dirfd, const char *path, mode_t mode, int flags) */
  fchmodat: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  /** int openat(int dirfd, const char *path, int flags, mode_t mode) */
  openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  /** int mkdirat(int dirfd, const char *path, mode_t mode) */
  mkdirat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int symlinkat(const char *target, int newdirfd, const char *linkpath) */
  symlinkat: { parameters: ["buffer", "i32", "buffer"], result: "i32" },
  /** int linkat(int olddirfd, const char *old, int newdirfd, const char *new, int flags) */
  linkat: { parameters: ["i32", "buffer", "i32", "buffer", "i32"], result: "i32" },
  /** int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev) */
  mknodat: { parameters: ["i32", "buffer", "u32", "u64"], result: "i32" },
  /** int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags) */
  fchownat: { parameters: ["i32", "buffer", "u32", "u32", "i32"], result: "i32" },
  /** int fchmod(int fd, mode_t mode) */
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  /** int unlinkat(int dirfd, const char *path, int flags) */
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  /** int fsetxattr(int fd, const char *name, const void *v, size_t n, int flags) */
  fsetxattr: { parameters: ["i32", "buffer", "buffer", "usize", "i32"], result: "i32" },
  /** int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf) */
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  /** long syscall(long nr = SYS_openat2, int dirfd, const char *path, struct open_how *how, size_t size) */
  syscall_openat2: {
    name: "syscall",
    parameters: ["i64", "i64", "buffer", "buffer", "usize"],
    result: "i64",
  },
  /** long syscall(long nr = SYS_bpf, int cmd, union bpf_attr *attr, unsigned int size) */
  syscall_bpf: { name: "syscall", parameters: ["i64", "i64", "buffer", "u64"], result: "i64" },
  /** long syscall(long nr = SYS_rt_sigaction, int sig, const struct sigaction *act, struct sigaction *old, size_t sigsetsize) */
  syscall_rt_sigaction: {
    name: "syscall",
    parameters: ["i64", "i32", "buffer", "buffer", "usize"],
    result: "i64",
  },
  /** long syscall(long nr = SYS_rt_sigprocmask, int how, const sigset_t *set, sigset_t *old, size_t sigsetsize) */
  syscall_rt_sigprocmask: {
    name: "syscall",
    parameters: ["i64", "i32", "buffer", "buffer", "usize"],
    result: "i64",
  },
  /** int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned int flags) */
  renameat2: { parameters: ["i32", "buffer", "i32", "buffer", "u32"], result: "i32" },
  /** int capget(cap_user_header_t hdr, cap_user_data_t data) */
  capget: { parameters: ["buffer", "buffer"], result: "i32" },
  /** int capset(cap_user_header_t hdr, const cap_user_data_t data) */
  capset: { parameters: ["buffer", "buffer"], result: "i32" },
  /** int setrlimit(int resource, const struct rlimit *rlim) */
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  /** int getrlimit(int resource, struct rlimit *rlim) */
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  /** long syscall(long nr = SYS_keyctl, long op, const char *name) — join a session keyring */
  syscall_keyctl: { name: "syscall", parameters: ["i64", "i64", "buffer"], result: "i64" },
  /** int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) */
  posix_spawn: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  /** int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa) */
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  /** int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa) */
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  /** int posix_spawn_file_actions_addopen(fa, int fd, const char *path, int oflag, mode_t mode) */
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  /** int posix_spawn_file_actions_addchdir_np(fa, const char *path) (glibc 2.29) */
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  /** int posix_spawn_file_actions_adddup2(fa, int fd, int newfd) */
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  /** int posix_spawnattr_init(posix_spawnattr_t *attr) */
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  /** int posix_spawnattr_destroy(posix_spawnattr_t *attr) */
  posix_spawnattr_destroy: { parameters: ["buffer"], result: "i32" },
  /** int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags) */
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  /** int posix_spawnattr_setsigmask(posix_spawnattr_t *attr, const sigset_t *mask) */
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
  /** int posix_spawnattr_setsigdefault(posix_spawnattr_t *attr, const sigset_t *set) */
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  /** pid_t waitpid(pid_t pid, int *status, int options) — blocking, on the caller's thread */
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  /** waitpid on a worker thread (returns a Promise): a child reparented to us (subreaper) */
  waitpid_async: {
    name: "waitpid",
    parameters: ["i32", "buffer", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /** int close_range(unsigned int first, unsigned int last, int flags) (glibc 2.34, Linux 5.9) */
  close_range: { parameters: ["u32", "u32", "i32"], result: "i32" },
  /** off_t lseek(int fd, off_t offset, int whence) */
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  /** int pipe2(int fds[2], int flags) */
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  /** int memfd_create(const char *name, unsigned int flags) */
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  /** long syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) — numeric args */
  syscall6: {
    name: "syscall",
    parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"],
    result: "i64",
  },
  /** int * __errno_location(void) */
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
type Name = keyof typeof SYMBOLS;

/**
 * Binding costs: Deno compiles a call trampoline for each bound symbol
 * (Cranelift), ~0.3 ms apiece here, so the init's 27 symbols cost it ~9 ms
 * of start-up. So the libc functions that are plain system calls are not
 * bound: each is a small function that passes its arguments (a buffer as
 * its address) to the one bound `syscall(2)` wrapper (`syscall6`), which
 * returns -1 and sets errno as the function would. Kept as real symbols:
 * what is more than a system call (setuid, setgid and setgroups change
 * every thread's credentials in glibc; termios, ptys, posix_spawn, the
 * rlimit structs), non-blocking ones, and architectures without a table.
 */
/** Syscall numbers on x86_64 and aarch64 of the functions that are one system call. */
const SYSCALL_NR: Partial<Record<Name, readonly [x86_64: number, aarch64: number]>> = {
  unshare: [272, 97],
  setns: [308, 268],
  mount: [165, 40],
  umount2: [166, 39],
  sethostname: [170, 161],
  chdir: [80, 49],
  chroot: [161, 51],
  execve: [59, 221],
  ioctl: [16, 29],
  prctl: [157, 167],
  getpid: [39, 172],
  kill: [62, 129],
  socketpair: [53, 199],
  socket: [41, 198],
  connect: [42, 203],
  fcntl: [72, 25],
  close: [3, 57],
  read: [0, 63],
  write: [1, 64],
  sendmsg: [46, 211],
  recvmsg: [47, 212],
  setsid: [112, 157],
  umask: [95, 166],
  lsetxattr: [189, 6],
  lgetxattr: [192, 9],
  llistxattr: [195, 12],
  utimensat: [280, 88],
  fchmodat: [268, 53],
  openat: [257, 56],
  mkdirat: [258, 34],
  symlinkat: [266, 36],
  linkat: [265, 37],
  mknodat: [259, 33],
  fchownat: [260, 54],
  fchmod: [91, 52],
  unlinkat: [263, 35],
  fsetxattr: [190, 7],
  statx: [332, 291],
  renameat2: [316, 276],
  capget: [125, 90],
  capset: [126, 91],
  close_range: [436, 436],
  lseek: [8, 62],
  memfd_create: [319, 279],
  pipe2: [293, 59],
  // the *at call with the path relative to the cwd, as glibc makes them
  open: [257, 56],
  mknod: [259, 33],
  lchown: [260, 54],
};

/** Arguments glibc adds around the caller's: `open(p, …)` is `openat(AT_FDCWD, p, …)`. */
const AT_ARGS: Partial<Record<Name, { before: number[]; after: number[] }>> = {
  open: { before: [AT_FDCWD], after: [] },
  mknod: { before: [AT_FDCWD], after: [] },
  lchown: { before: [AT_FDCWD], after: [AT_SYMLINK_NOFOLLOW] },
};

const ARCH = Deno.build.arch === "x86_64" ? 0 : Deno.build.arch === "aarch64" ? 1 : undefined;

/** The address of a buffer argument (0 for null), as `syscall(2)` takes it. */
function address(v: unknown): number {
  if (v === null || v === undefined) return 0;
  return asNumber(Deno.UnsafePointer.value(Deno.UnsafePointer.of(v as BufferSource)));
}

/**
 * `name` as a call through `syscall6`, or undefined when it must be bound:
 * the `syscall` aliases take their number first; the plain system calls
 * get theirs from SYSCALL_NR.
 */
function throughSyscall(name: Name): ((...args: unknown[]) => unknown) | undefined {
  const def: Deno.ForeignFunction = SYMBOLS[name];
  if (def.nonblocking || name === "syscall6" || ARCH === undefined) return undefined;
  const alias = def.name === "syscall" || name === "syscall";
  const nr = SYSCALL_NR[name]?.[ARCH];
  if (!alias && nr === undefined) return undefined;
  const buffers = def.parameters.map((t) => t === "buffer" || t === "pointer");
  const { before, after } = AT_ARGS[name] ?? { before: [], after: [] };
  const narrow = def.result === "i32" || def.result === "u32";
  // the arguments around the caller's, and where the caller's go: `syscall`'s i64s take
  // Numbers, so no BigInt is made per argument and no array mapped (a call cost ~3 µs,
  // now ~1; the init makes a few hundred, each once, interpreted)
  const head: number[] = alias ? [] : [nr!, ...before];
  const tail: number[] = alias ? [] : after;
  return (...args: unknown[]) => {
    const all = [...head];
    for (let i = 0; i < args.length; i++) {
      all.push(buffers[i] ? address(args[i]) : asNumber(args[i] as number | bigint));
    }
    for (const v of tail) all.push(v);
    const r = symbols.syscall6(
      (all[0] ?? 0) as unknown as bigint,
      (all[1] ?? 0) as unknown as bigint,
      (all[2] ?? 0) as unknown as bigint,
      (all[3] ?? 0) as unknown as bigint,
      (all[4] ?? 0) as unknown as bigint,
      (all[5] ?? 0) as unknown as bigint,
      (all[6] ?? 0) as unknown as bigint,
    );
    return narrow ? Number(r) : r;
  };
}

/** `v` as a Number when it is exactly one, else as the BigInt it is (an i64 takes either). */
function asNumber(v: number | bigint): number {
  if (typeof v === "number") return v;
  return v >= -0x1fffffffffffffn && v <= 0x1fffffffffffffn ? Number(v) : v as unknown as number;
}

/**
 * What this isolate has bound, shared by every copy of this module in it.
 * The bundled build (tools/bundle.ts) puts a copy of this module in each
 * bundle a process loads — main.js and its command's, or the init's — and
 * a binding table per copy bound `syscall`, `__errno_location` and the
 * credential calls twice: ~0.2 ms per symbol, some of it while the
 * container's start waits. One table on the isolate's global object
 * (a worker, another isolate on its own thread, has its own).
 */
interface Bound {
  /** The functions bound (or made through `syscall6`) so far, by name. */
  fns: Partial<Record<string, (...args: unknown[]) => unknown>>;
  /** The libraries opened so far, one per bound symbol (kept open for the process's life). */
  opened: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>[];
  /** This thread's errno, as `errno()` reads it (made on first use; null: none). */
  errnoView?: Deno.UnsafePointerView | null;
}

const bound: Bound = ((globalThis as Record<symbol, unknown>)[Symbol.for("tsbox.libc")] ??= {
  fns: {},
  opened: [],
}) as Bound;

/**
 * Each symbol is bound on its first use, by a dlopen of its own (binding
 * all of them up front cost every tsbox process 12–25 ms of start-up), or
 * made a call through `syscall6`. libc.so.6 is always already loaded (Deno
 * links it), so the dynamic linker returns that copy by its soname and
 * never reads a file: a symbol first used after pivot_root still comes
 * from the host's libc.
 */
const symbols = {} as Symbols;
for (const name of Object.keys(SYMBOLS) as Name[]) {
  Object.defineProperty(symbols, name, {
    configurable: true,
    enumerable: true,
    get() {
      // errno is read straight after a failed call: binding __errno_location (and making the
      // view errno() reads through) only then would run the dynamic linker and allocate in
      // between, either of which may change errno. So errno() runs before any other symbol binds.
      if (name !== "__errno_location") errno();
      const fn = bound.fns[name] ?? throughSyscall(name) ?? dlopenOne(name);
      bound.fns[name] = fn;
      Object.defineProperty(symbols, name, { value: fn, enumerable: true });
      return fn;
    },
  });
}

/**
 * Bind `name` by a dlopen of its own. Its buffer parameters are bound as
 * pointers, the buffers passed by address (alive: the caller holds them for
 * the call): Deno compiles a fast-call trampoline per symbol, and one for
 * buffers costs ~0.1 ms per parameter — posix_spawn's six took ~0.6 ms of
 * every `run`'s head start — against ~0.02 ms for a pointer. The bound
 * symbols are the calls made a few times per process (the frequent ones go
 * through `syscall6`), so the conversion per call costs nothing measurable.
 * But it allocates, and setrlimit must not: the init's exact limits are its
 * last calls before execve, when a lowered RLIMIT_AS may leave the runtime
 * no room to grow (ffi/caps.ts's prepareRlimits); the init binds it early.
 */
function dlopenOne(name: Name): (...args: unknown[]) => unknown {
  const def: Deno.ForeignFunction = SYMBOLS[name];
  const byAddress = !def.nonblocking && name !== "setrlimit";
  const buffers = byAddress ? def.parameters.map((t) => t === "buffer") : [];
  const parameters = def.parameters.map((t, i) => buffers[i] ? "pointer" : t);
  const lib = Deno.dlopen(
    "libc.so.6",
    { [name]: { ...def, parameters } } as Deno.ForeignLibraryInterface,
  );
  bound.opened.push(lib);
  const raw = lib.symbols[name] as (...args: unknown[]) => unknown;
  if (!buffers.includes(true)) return raw;
  return (...args: unknown[]) =>
    raw(...args.map((v, i) => buffers[i] ? pointerOf(v as BufferSource | null) : v));
}

/** A buffer argument as a pointer (null for null). */
function pointerOf(v: BufferSource | null | undefined): Deno.PointerValue {
  return v === null || v === undefined ? null : Deno.UnsafePointer.of(v);
}

/**
 * Bind `names` now: a process that waits anyway (the init, for its spec)
 * pays for symbols it will need later while nobody waits for it.
 */
export function bindNow(...names: Name[]): void {
  for (const n of names) void symbols[n];
}

/** How many dlopens the bindings so far took, in this isolate (tests). */
export function bindings(): number {
  return bound.opened.length;
}

/** libc's symbols, each bound lazily on first use. */
export function libc(): Symbols {
  return symbols;
}

/**
 * errno of the last failed call on this thread, read through a view made
 * once (the table is per isolate, so a worker, on its own thread, makes its
 * own). Reading it allocates nothing: a call to `__errno_location` and a new
 * view per read allocated between the failed call and the read, and an
 * allocation may run the GC, whose waits for its helper threads (futex) set
 * errno — a test saw an ENOENT read as EAGAIN.
 */
export function errno(): number {
  let view = bound.errnoView;
  if (view === undefined) {
    const p = libc().__errno_location();
    view = bound.errnoView = p === null ? null : new Deno.UnsafePointerView(p);
  }
  return view === null ? 0 : view.getInt32();
}
