/*
 * shim: PID 1 of the x86 guest. It loads the virtio/9p modules, then serves the host over a
 * framed channel, from the host on the second serial port (ttyS1; the kernel console keeps
 * ttyS0) and to it on a virtio serial port: mount the
 * container's root from 9p, spawn processes in it (the entrypoint and `exec`s), carry their
 * stdin/stdout/stderr apart, deliver signals and window sizes, and report exit statuses.
 *
 * Frame (both ways): type u8, id u32 LE, length u32 LE, payload. Text payloads are NUL-separated
 * "key=value" fields. Host -> guest:
 *   I init   time_ms, hostname, msize, mem (cgroup memory.max in bytes, 0 = none), seed (hex),
 *            and for a container with a network: mac, addr ("172.18.0.2/16"), gw (its /etc/hosts
 *            and /etc/resolv.conf come with its 9p root); lo is up in every container (since boot)
 *   S spawn  tty, stdin, uid, gid, cols, rows, cwd, a=<argv item>..., e=<env item>...
 *   D stdin  raw bytes; empty = end of file
 *   K kill   signal number
 *   W resize "cols rows"
 *   Y sync   flush dirty pages to 9p before the host persists the writable layer
 * Guest -> host:
 *   B boot errors (before the first R, only when something failed: a module that did not load),
 *   R ready (boot done, and again after init), P started (pid), O stdout, E stderr,
 *   X exit ("status oom"), A stdin credit returned (bytes consumed), Y synced, L log line.
 *
 * Built statically against musl by scripts/guest-kit/build.sh.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define ROOT "/c"
#define CGROUP "/sys/fs/cgroup/c"
#define MAX_PROCS 64
#define MAX_FIELDS 4096
/* A frame to the host is one write, and one virtqueue round trip: the port takes 32 KiB. */
#define FRAME_MAX 32768
/* A process's output is read and framed this much at a time. */
#define IOBUF (FRAME_MAX - 9)

/* The modules to load, one name a line, in load order: computed by the kit build from the
   kernel's own dependency data (scripts/guest-kit/module-order.ts). */
#define MODULE_ORDER "/lib/modules/load.order"

struct proc {
  uint32_t id;
  pid_t pid;
  int in, out, err; /* -1 when closed; with a tty, out is the pty master and in == out */
  int tty;
  int in_eof;      /* the host closed stdin: close it once pending bytes are written */
  char *pending;   /* stdin bytes not yet accepted by the pipe */
  size_t npending;
  int exited, status;
};

static int ch = -1;     /* the channel from the host: ttyS1 */
static int out_ch = -1; /* the channel to the host: a virtio serial port, or ttyS1 if the guest has none */
static struct proc procs[MAX_PROCS];
static int nmain_started; /* the first spawn made the pid namespace's init */
static int ctr_mnt_ns = -1; /* the container's mount namespace, where its 9p root is "/" */

/* ---------------------------------------------------------------- channel */

static void write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd pf = {fd, POLLOUT, 0};
        poll(&pf, 1, -1);
        continue;
      }
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

/* Header and payload in one write: each write to the port is a round trip through the virtqueue. */
static void send_frame(char type, uint32_t id, const void *data, uint32_t len) {
  static unsigned char frame[FRAME_MAX];
  frame[0] = (unsigned char)type;
  memcpy(frame + 1, &id, 4);
  memcpy(frame + 5, &len, 4);
  if (len <= IOBUF) {
    if (len) memcpy(frame + 9, data, len);
    write_all(out_ch, frame, 9 + len);
    return;
  }
  write_all(out_ch, frame, 9);
  write_all(out_ch, data, len);
}

static void send_text(char type, uint32_t id, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if (n >= (int)sizeof buf) n = sizeof buf - 1;
  send_frame(type, id, buf, (uint32_t)n);
}

#define LOG(...) send_text('L', 0, __VA_ARGS__)

/* ---------------------------------------------------------------- boot */

/* What went wrong while booting, sent to the host (a 'B' frame) once the channel is open: the kit
   build refuses to save a guest that reports anything here. */
static char boot_errors[2048];

static void boot_error(const char *fmt, ...) {
  size_t have = strlen(boot_errors);
  if (have >= sizeof boot_errors - 1) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(boot_errors + have, sizeof boot_errors - have, fmt, ap);
  va_end(ap);
  fprintf(stderr, "shim: %s", boot_errors + have);
}

static void load_modules(void) {
  static char list[4096];
  int lf = open(MODULE_ORDER, O_RDONLY | O_CLOEXEC);
  ssize_t n = lf < 0 ? -1 : read(lf, list, sizeof list - 1);
  if (lf >= 0) close(lf);
  if (n <= 0) {
    boot_error("cannot read %s: %s\n", MODULE_ORDER, n < 0 ? strerror(errno) : "empty");
    return;
  }
  list[n] = 0;
  for (char *name = strtok(list, "\n"); name; name = strtok(NULL, "\n")) {
    char path[128];
    snprintf(path, sizeof path, "/lib/modules/%s.ko", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0) {
      int e = errno;
      /* Already there (a module another one pulled in, or a kernel with it built in): fine. */
      if (e != EEXIST) boot_error("module %s: %s (errno %d)\n", name, strerror(e), e);
    }
    if (fd >= 0) close(fd);
  }
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  write_all(fd, text, strlen(text));
  close(fd);
}

static void boot(void) {
  mount("proc", "/proc", "proc", 0, NULL);
  mount("sysfs", "/sys", "sysfs", 0, NULL);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  mkdir("/dev/pts", 0755);
  mount("devpts", "/dev/pts", "devpts", 0, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mkdir("/dev/shm", 01777);
  mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777");
  mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
  mkdir(ROOT, 0755);
  load_modules();
  /* Writeback within a second, so a page reload loses at most about that much of what a
     container wrote (the host persists 9p changes shortly after they arrive). */
  write_file("/proc/sys/vm/dirty_writeback_centisecs", "100");
  write_file("/proc/sys/vm/dirty_expire_centisecs", "100");
}

/* The virtio console's port 1 (/dev/vport<N>p1), a plain port: the kit build keeps v86 from
   making it a console (scripts/guest-kit/boot.ts), where each write would go through the tty
   layer 2 KiB at a time. The driver makes its device a moment after the module loads. */
static int open_port(void) {
  for (int tries = 0; tries < 300; tries++) {
    DIR *d = opendir("/dev");
    int fd = -1;
    for (struct dirent *e; d && fd < 0 && (e = readdir(d));) {
      size_t n = strlen(e->d_name);
      if (strncmp(e->d_name, "vport", 5) != 0 || n < 8 || strcmp(e->d_name + n - 2, "p1") != 0) continue;
      char path[300];
      snprintf(path, sizeof path, "/dev/%s", e->d_name);
      fd = open(path, O_WRONLY | O_CLOEXEC);
    }
    if (d) closedir(d);
    if (fd >= 0) return fd;
    usleep(10000);
  }
  return -1;
}

/* The host's half stays on the serial port: v86 drops what it sends to a virtio port that has no
   buffer posted, where the serial port, with the host's credits, loses nothing. */
static void open_channel(void) {
  ch = open("/dev/ttyS1", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (ch < 0) {
    fprintf(stderr, "shim: cannot open /dev/ttyS1: %s\n", strerror(errno));
    for (;;) pause();
  }
  struct termios t;
  tcgetattr(ch, &t);
  cfmakeraw(&t);
  cfsetspeed(&t, B115200);
  tcsetattr(ch, TCSANOW, &t);
  out_ch = open_port();
  if (out_ch < 0) {
    boot_error("no virtio serial port /dev/vport*p1: %s\n", strerror(errno));
    out_ch = ch;
  }
}

/* ---------------------------------------------------------------- fields */

struct fields {
  const char *v[MAX_FIELDS];
  int n;
};

/* Splits a NUL-separated payload; the payload buffer must end with a NUL (frames are read so). */
static void split(char *p, uint32_t len, struct fields *f) {
  f->n = 0;
  char *end = p + len;
  while (p < end && f->n < MAX_FIELDS) {
    f->v[f->n++] = p;
    p += strlen(p) + 1;
  }
}

static const char *get(const struct fields *f, const char *key) {
  size_t k = strlen(key);
  for (int i = 0; i < f->n; i++)
    if (strncmp(f->v[i], key, k) == 0 && f->v[i][k] == '=') return f->v[i] + k + 1;
  return NULL;
}

static long get_num(const struct fields *f, const char *key, long dflt) {
  const char *s = get(f, key);
  return s ? strtol(s, NULL, 10) : dflt;
}

/* ---------------------------------------------------------------- network */

#define NIC "eth0"

static int set_up(int s, const char *name) {
  struct ifreq r = {0};
  strncpy(r.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &r) != 0) return -1;
  r.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl(s, SIOCSIFFLAGS, &r);
}

static void set_in(struct sockaddr *sa, in_addr_t a) {
  struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr = {.s_addr = a}};
  memcpy(sa, &in, sizeof in);
}

/* A container with no network has no NIC, as with Docker's --network none: the NIC the saved
   state has is unbound from its driver, so eth0 goes away. */
#define VIRTIO_NET_DRIVER "/sys/bus/virtio/drivers/virtio_net"
static int unplug_nics(void) {
  DIR *d = opendir(VIRTIO_NET_DRIVER);
  if (!d) return 0;
  int rc = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, "virtio", 6) != 0) continue;
    int fd = open(VIRTIO_NET_DRIVER "/unbind", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, e->d_name, strlen(e->d_name)) < 0) rc = -1;
    if (fd >= 0) close(fd);
  }
  closedir(d);
  return rc;
}

/* eth0 with the container's MAC, address and default route when it has a network.
   NULL on success, else what failed (errno says why). */
static const char *net_setup(const struct fields *f) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return "socket";
  const char *failed = NULL, *mac = get(f, "mac"), *addr = get(f, "addr"), *gw = get(f, "gw");
  if (!(addr && mac) && unplug_nics() != 0) failed = "unplug " NIC;
  if (!failed && addr && mac) {
    struct ifreq r = {0};
    strncpy(r.ifr_name, NIC, IFNAMSIZ - 1);
    r.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    unsigned char *m = (unsigned char *)r.ifr_hwaddr.sa_data;
    char ip[32] = {0};
    int prefix = 32;
    struct in_addr a, g;
    if (sscanf(mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", m, m + 1, m + 2, m + 3, m + 4, m + 5) != 6) failed = "mac", errno = EINVAL;
    else if (ioctl(s, SIOCSIFHWADDR, &r) != 0) failed = "set mac";
    else if (sscanf(addr, "%31[0-9.]/%d", ip, &prefix) < 1 || inet_pton(AF_INET, ip, &a) != 1 || prefix < 0 || prefix > 32) failed = "addr", errno = EINVAL;
    if (!failed) {
      set_in(&r.ifr_addr, a.s_addr);
      if (ioctl(s, SIOCSIFADDR, &r) != 0) failed = "set address";
    }
    if (!failed) {
      set_in(&r.ifr_netmask, htonl(prefix ? ~0u << (32 - prefix) : 0));
      if (ioctl(s, SIOCSIFNETMASK, &r) != 0) failed = "set netmask";
    }
    if (!failed && set_up(s, NIC) != 0) failed = NIC " up";
    if (!failed && gw) {
      struct rtentry rt = {0};
      set_in(&rt.rt_dst, 0);
      set_in(&rt.rt_genmask, 0);
      if (inet_pton(AF_INET, gw, &g) != 1) failed = "gw", errno = EINVAL;
      else {
        set_in(&rt.rt_gateway, g.s_addr);
        rt.rt_flags = RTF_UP | RTF_GATEWAY;
        rt.rt_dev = NIC;
        if (ioctl(s, SIOCADDRT, &rt) != 0) failed = "default route";
      }
    }
  }
  close(s);
  return failed;
}

/* ---------------------------------------------------------------- init */

static void do_init(uint32_t id, struct fields *f) {
  const char *t = get(f, "time_ms");
  if (t) {
    long long ms = strtoll(t, NULL, 10);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    clock_settime(CLOCK_REALTIME, &ts);
  }
  /* Every guest starts from the same snapshot, so its random pool must be stirred apart. */
  const char *seed = get(f, "seed");
  if (seed) {
    unsigned char bytes[64];
    size_t n = 0;
    for (; n < sizeof bytes && seed[2 * n] && seed[2 * n + 1]; n++) sscanf(seed + 2 * n, "%2hhx", &bytes[n]);
    int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      write_all(fd, bytes, n);
      close(fd);
    }
  }
  const char *host = get(f, "hostname");
  if (host) sethostname(host, strlen(host));
  char opts[160];
  snprintf(opts, sizeof opts, "trans=virtio,version=9p2000.L,msize=%ld,cache=loose", get_num(f, "msize", 512000));
  if (mount("host9p", ROOT, "9p", 0, opts) != 0) {
    send_text('X', id, "%d mount 9p: %s", 125, strerror(errno));
    return;
  }
  /* The container's view of /dev (with pts, shm) and /sys; /proc is mounted by the first
     process, from inside the new pid namespace. */
  mount("/dev", ROOT "/dev", NULL, MS_BIND | MS_REC, NULL);
  mount("/sys", ROOT "/sys", NULL, MS_BIND | MS_REC, NULL);
  const char *net = net_setup(f);
  if (net) {
    send_text('X', id, "%d network %s: %s", 125, net, strerror(errno));
    return;
  }
  long mem = get_num(f, "mem", 0);
  if (mem > 0) {
    char b[32];
    snprintf(b, sizeof b, "%ld", mem);
    write_file(CGROUP "/memory.max", b);
    write_file(CGROUP "/memory.swap.max", "0");
  }
  send_frame('R', id, NULL, 0);
}

/* What every container's init would otherwise do again, done once before the state is saved
   (a restored guest runs its kernel's code paths cold, tens of ms each): lo up, and the
   container's cgroup with its controllers. */
static void ready_for_containers(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0 || set_up(s, "lo") != 0) boot_error("lo up: %s\n", strerror(errno));
  if (s >= 0) close(s);
  if (mkdir(CGROUP, 0755) != 0 && errno != EEXIST) boot_error("cgroup %s: %s\n", CGROUP, strerror(errno));
  write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory +pids");
}

/* ---------------------------------------------------------------- spawn */

static struct proc *find(uint32_t id) {
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].pid && procs[i].id == id) return &procs[i];
  return NULL;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void mkdir_p(const char *path) {
  char p[4096];
  snprintf(p, sizeof p, "%s", path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    mkdir(p, 0755);
    *s = '/';
  }
  mkdir(p, 0755);
}

static int oom_kills(void) {
  char buf[512];
  int fd = open(CGROUP "/memory.events", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char *s = strstr(buf, "oom_kill ");
  return s ? atoi(s + 9) : 0;
}

/* A mount namespace whose "/" is the container's 9p root, moved over the initramfs (as
   switch_root does), that every container process joins. A plain chroot(ROOT) leaves the 9p at
   /c of the guest's tree, so `..` from a directory fd kept across a nested chroot climbs out of
   it; over "/", `..` at the 9p root has nowhere to go. The guest's root is the initramfs, which
   pivot_root refuses, hence the move. The shim itself stays in the guest's namespace. */
static int container_mounts(void) {
  int guest = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (guest < 0) return -1;
  int err = 0;
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 || chdir(ROOT) != 0 ||
      mount(ROOT, "/", NULL, MS_MOVE, NULL) != 0 || (ctr_mnt_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)) < 0)
    err = errno;
  if (setns(guest, CLONE_NEWNS) != 0 && !err) err = errno;
  close(guest);
  if (chdir("/") != 0 && !err) err = errno;
  errno = err;
  return err ? -1 : 0;
}

/* In the child: never returns. Errors go to the process's stderr, as runc reports them. */
static void child(struct fields *f, int first, const char *slave) {
  const char *argv[MAX_FIELDS + 1], *envp[MAX_FIELDS + 1];
  int na = 0, ne = 0;
  for (int i = 0; i < f->n; i++) {
    if (strncmp(f->v[i], "a=", 2) == 0) argv[na++] = f->v[i] + 2;
    else if (strncmp(f->v[i], "e=", 2) == 0) envp[ne++] = f->v[i] + 2;
  }
  argv[na] = NULL;
  envp[ne] = NULL;
  setsid();
  if (slave) {
    int s = open(slave, O_RDWR);
    if (s < 0) _exit(126);
    ioctl(s, TIOCSCTTY, 0);
    dup2(s, 0), dup2(s, 1), dup2(s, 2);
    if (s > 2) close(s);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  char pid[16];
  snprintf(pid, sizeof pid, "%d", getpid());
  write_file(CGROUP "/cgroup.procs", pid);
  if (setns(ctr_mnt_ns, CLONE_NEWNS) != 0 || chdir("/") != 0) {
    dprintf(2, "shim: entering the container's mounts: %s\n", strerror(errno));
    _exit(126);
  }
  if (first) mount("proc", "/proc", "proc", 0, NULL);
  const char *cwd = get(f, "cwd");
  if (!cwd || !*cwd) cwd = "/";
  if (chdir(cwd) != 0) {
    mkdir_p(cwd); /* Docker creates a missing WorkingDir */
    if (chdir(cwd) != 0) {
      dprintf(2, "shim: chdir to cwd (\"%s\") set in config.json failed: %s\n", cwd, strerror(errno));
      _exit(126);
    }
  }
  gid_t gid = (gid_t)get_num(f, "gid", 0);
  uid_t uid = (uid_t)get_num(f, "uid", 0);
  if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
    dprintf(2, "shim: setting user %u:%u: %s\n", uid, gid, strerror(errno));
    _exit(126);
  }
  if (na == 0) _exit(126);
  if (strchr(argv[0], '/')) {
    execve(argv[0], (char *const *)argv, (char *const *)envp);
  } else {
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (int i = 0; i < ne; i++)
      if (strncmp(envp[i], "PATH=", 5) == 0) path = envp[i] + 5;
    int eacces = 0;
    for (const char *p = path; *p;) {
      const char *e = strchrnul(p, ':');
      char full[4096];
      snprintf(full, sizeof full, "%.*s/%s", (int)(e - p), p, argv[0]);
      execve(full, (char *const *)argv, (char *const *)envp);
      if (errno == EACCES) eacces = 1;
      p = *e ? e + 1 : e;
    }
    if (eacces) errno = EACCES;
    else errno = ENOENT;
    if (errno == ENOENT) {
      dprintf(2, "exec: \"%s\": executable file not found in $PATH\n", argv[0]);
      _exit(127);
    }
  }
  dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
  _exit(errno == ENOENT ? 127 : 126);
}

static void do_spawn(uint32_t id, struct fields *f) {
  struct proc *p = NULL;
  for (int i = 0; i < MAX_PROCS && !p; i++)
    if (!procs[i].pid) p = &procs[i];
  if (!p || find(id)) {
    send_text('X', id, "%d too many processes", 126);
    return;
  }
  if (ctr_mnt_ns < 0 && container_mounts() != 0) {
    send_text('X', id, "%d mount namespace: %s", 125, strerror(errno));
    return;
  }
  int tty = get_num(f, "tty", 0) != 0, want_stdin = get_num(f, "stdin", 0) != 0;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, master = -1;
  char slave[64] = "";
  if (tty) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) || unlockpt(master) || ptsname_r(master, slave, sizeof slave)) {
      send_text('X', id, "%d openpt: %s", 126, strerror(errno));
      return;
    }
    struct winsize ws = {(unsigned short)get_num(f, "rows", 24), (unsigned short)get_num(f, "cols", 80), 0, 0};
    ioctl(master, TIOCSWINSZ, &ws);
  } else if ((want_stdin && pipe2(in, O_CLOEXEC)) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    send_text('X', id, "%d pipe: %s", 126, strerror(errno));
    return;
  }
  int first = !nmain_started;
  if (first) {
    /* The entrypoint becomes PID 1 of a pid namespace (as under Docker); later spawns join it. */
    if (unshare(CLONE_NEWPID) != 0) LOG("unshare(CLONE_NEWPID): %s", strerror(errno));
    nmain_started = 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    send_text('X', id, "%d fork: %s", 126, strerror(errno));
    return;
  }
  if (pid == 0) {
    if (!tty) {
      int null = open("/dev/null", O_RDWR | O_CLOEXEC);
      dup2(want_stdin ? in[0] : null, 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
    }
    child(f, first, tty ? slave : NULL);
  }
  memset(p, 0, sizeof *p);
  p->id = id;
  p->pid = pid;
  p->tty = tty;
  if (tty) {
    p->in = p->out = master;
    p->err = -1;
    set_nonblock(master);
  } else {
    if (want_stdin) close(in[0]);
    close(out[1]);
    close(err[1]);
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
    set_nonblock(p->out);
    set_nonblock(p->err);
    if (p->in >= 0) set_nonblock(p->in);
  }
  send_text('P', id, "%d", pid);
}

/* ---------------------------------------------------------------- stdin */

static void close_in(struct proc *p) {
  if (p->in < 0) return;
  if (p->tty) {
    /* End of input on a tty is the EOF character, not a close: the pty carries output too. */
    if (!p->exited) write(p->in, "\x04", 1);
  } else {
    close(p->in);
  }
  if (!p->tty) p->in = -1;
}

static void flush_in(struct proc *p) {
  size_t done = 0;
  while (p->in >= 0 && done < p->npending) {
    ssize_t w = write(p->in, p->pending + done, p->npending - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) done = p->npending; /* reader gone: drop */
      break;
    }
    done += (size_t)w;
  }
  if (p->in < 0) done = p->npending;
  if (done) {
    memmove(p->pending, p->pending + done, p->npending - done);
    p->npending -= done;
    send_text('A', p->id, "%zu", done);
  }
  if (p->npending == 0 && p->in_eof) {
    close_in(p);
    p->in_eof = 0;
  }
}

static void do_stdin(uint32_t id, const char *data, uint32_t len) {
  struct proc *p = find(id);
  if (!p) {
    if (len) send_text('A', id, "%u", len);
    return;
  }
  if (len == 0) {
    p->in_eof = 1;
  } else {
    char *n = realloc(p->pending, p->npending + len);
    if (!n) return;
    p->pending = n;
    memcpy(p->pending + p->npending, data, len);
    p->npending += len;
  }
  flush_in(p);
}

/* ---------------------------------------------------------------- output and exit */

/* Reads what is there; returns 0 at end of file (or, for a pty, EIO once the slave is gone). */
static int pump(struct proc *p, int fd, char type) {
  char buf[IOBUF];
  for (int rounds = 0; rounds < 16; rounds++) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      send_frame(type, p->id, buf, (uint32_t)n);
      continue;
    }
    if (n < 0 && (errno == EINTR)) continue;
    if (n < 0 && errno == EAGAIN) return 1;
    return 0;
  }
  return 1;
}

static void release(struct proc *p) {
  if (p->out >= 0) close(p->out);
  if (p->err >= 0) close(p->err);
  if (!p->tty && p->in >= 0) close(p->in);
  free(p->pending);
  memset(p, 0, sizeof *p);
}

static void finish(struct proc *p) {
  /* Whatever the process wrote before it ended is already in the pipe or pty. */
  if (p->out >= 0) {
    char buf[IOBUF];
    ssize_t n;
    while ((n = read(p->out, buf, sizeof buf)) > 0) send_frame('O', p->id, buf, (uint32_t)n);
  }
  if (p->err >= 0) {
    char buf[IOBUF];
    ssize_t n;
    while ((n = read(p->err, buf, sizeof buf)) > 0) send_frame('E', p->id, buf, (uint32_t)n);
  }
  int status = WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128 + WTERMSIG(p->status);
  int oom = WIFSIGNALED(p->status) && WTERMSIG(p->status) == SIGKILL && oom_kills() > 0;
  if (p->npending) send_text('A', p->id, "%zu", p->npending);
  send_text('X', p->id, "%d%s", status, oom ? " oom" : "");
  release(p);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < MAX_PROCS; i++) {
      if (procs[i].pid == pid) {
        procs[i].exited = 1;
        procs[i].status = status;
        finish(&procs[i]);
      }
    }
  }
}

/* ---------------------------------------------------------------- main loop */

static void handle(char type, uint32_t id, char *payload, uint32_t len) {
  struct fields f;
  struct proc *p;
  switch (type) {
  case 'I':
    split(payload, len, &f);
    do_init(id, &f);
    break;
  case 'S':
    split(payload, len, &f);
    do_spawn(id, &f);
    break;
  case 'D':
    do_stdin(id, payload, len);
    break;
  case 'K':
    if ((p = find(id))) kill(p->pid, atoi(payload));
    break;
  case 'W':
    if ((p = find(id)) && p->tty) {
      int cols = 80, rows = 24;
      sscanf(payload, "%d %d", &cols, &rows);
      struct winsize ws = {(unsigned short)rows, (unsigned short)cols, 0, 0};
      ioctl(p->out, TIOCSWINSZ, &ws);
    }
    break;
  case 'Y':
    sync();
    send_frame('Y', id, NULL, 0);
    break;
  default:
    LOG("unknown frame type %d", type);
  }
}

int main(void) {
  if (getpid() != 1) {
    fprintf(stderr, "shim: must run as init\n");
    return 1;
  }
  boot();
  open_channel();
  ready_for_containers();
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  /* The page cache of the boot is garbage for every container: drop it so the snapshot is small. */
  sync();
  write_file("/proc/sys/vm/drop_caches", "3");
  if (boot_errors[0]) send_frame('B', 0, boot_errors, (uint32_t)strlen(boot_errors));
  send_frame('R', 0, NULL, 0);

  static char in[1 << 20];
  size_t have = 0;
  for (;;) {
    struct pollfd pf[2 + 2 * MAX_PROCS];
    struct proc *who[2 + 2 * MAX_PROCS];
    char kind[2 + 2 * MAX_PROCS];
    int n = 0;
    pf[n] = (struct pollfd){ch, POLLIN, 0}, who[n] = NULL, kind[n++] = 'c';
    pf[n] = (struct pollfd){sfd, POLLIN, 0}, who[n] = NULL, kind[n++] = 's';
    for (int i = 0; i < MAX_PROCS; i++) {
      struct proc *p = &procs[i];
      if (!p->pid) continue;
      if (p->out >= 0) pf[n] = (struct pollfd){p->out, (short)(POLLIN | (p->npending ? POLLOUT : 0)), 0}, who[n] = p, kind[n++] = 'O';
      if (p->err >= 0) pf[n] = (struct pollfd){p->err, POLLIN, 0}, who[n] = p, kind[n++] = 'E';
      if (!p->tty && p->in >= 0 && p->npending) pf[n] = (struct pollfd){p->in, POLLOUT, 0}, who[n] = p, kind[n++] = 'I';
    }
    if (poll(pf, (nfds_t)n, -1) < 0) continue;
    for (int i = 0; i < n; i++) {
      if (!pf[i].revents) continue;
      struct proc *p = who[i];
      if (kind[i] == 'c') {
        ssize_t r = read(ch, in + have, sizeof in - have - 1);
        if (r <= 0) continue;
        have += (size_t)r;
        size_t at = 0;
        while (have - at >= 9) {
          uint32_t id, len;
          memcpy(&id, in + at + 1, 4);
          memcpy(&len, in + at + 5, 4);
          if (len > sizeof in - 10) {
            LOG("oversized frame %u", len);
            at = have;
            break;
          }
          if (have - at < 9 + len) break;
          char type = in[at];
          char *payload = in + at + 9;
          char saved = payload[len];
          payload[len] = 0;
          handle(type, id, payload, len);
          payload[len] = saved;
          at += 9 + len;
        }
        memmove(in, in + at, have - at);
        have -= at;
      } else if (kind[i] == 's') {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == sizeof si) {
        }
        reap();
      } else if (p && p->pid && !p->exited) {
        if ((pf[i].revents & POLLOUT) || kind[i] == 'I') flush_in(p);
        if (kind[i] == 'O' && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) && p->out >= 0) {
          if (!pump(p, p->out, 'O')) {
            if (p->tty) p->in = -1;
            close(p->out);
            p->out = -1;
          }
        } else if (kind[i] == 'E' && p->err >= 0 && !pump(p, p->err, 'E')) {
          close(p->err);
          p->err = -1;
        }
      }
    }
  }
}
