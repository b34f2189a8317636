/* contrib/bench/nodelay_shim.c - LD_PRELOAD shim for measurements only: sets TCP_NODELAY on
 * every socket a server accepts, so that NSD, Knot or BIND can be compared with clusterdns
 * (which sets it) on equal terms. Built by streams.sh --peers-nodelay:
 *   cc -O2 -shared -fPIC -o nodelay_shim.so nodelay_shim.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void nodelay(int fd) {
  int one = 1;
  if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int accept4(int s, struct sockaddr *a, socklen_t *l, int flags) {
  static int (*real)(int, struct sockaddr *, socklen_t *, int);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  int fd = real(s, a, l, flags);
  nodelay(fd);
  return fd;
}

int accept(int s, struct sockaddr *a, socklen_t *l) {
  static int (*real)(int, struct sockaddr *, socklen_t *);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  int fd = real(s, a, l);
  nodelay(fd);
  return fd;
}
