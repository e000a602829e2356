/*
 * glue.c: lwIP's raw API as a handful of exported functions for JavaScript, one stack per wasm
 * instance with one or more Ethernet netifs on the same wire (one per address the stack speaks
 * for). Connections and netifs are integer indexes (slots in tables), never pointers, so JS
 * cannot hand lwIP a stale pcb: a slot is freed before the JS side hears of the end.
 *
 * JS owns time and I/O: it calls lwjs_input for each received frame and lwjs_tick on a timer, and
 * lwIP calls back through the imports below. Nothing here is reentrant: the JS side never calls in
 * while a call is running (it queues frames that arrive meanwhile).
 */
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/inet_chksum.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h" /* TCP_SLOW_INTERVAL, for the initial RTO */
#include "lwip/prot/icmp.h"
#include "lwip/raw.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#define IMPORT(name) __attribute__((import_module("lwjs"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("now") u32_t js_now(void);
IMPORT("random") u32_t js_random(void);
IMPORT("assert_failed") void js_assert_failed(const char *message, const char *file, int line);
IMPORT("output") void js_output(const u8_t *frame, u32_t len);
IMPORT("tcp_accepted") void js_tcp_accepted(int listener, int handle);
IMPORT("tcp_connected") void js_tcp_connected(int handle);
IMPORT("tcp_recv") void js_tcp_recv(int handle, const u8_t *data, u32_t len);
IMPORT("tcp_sent") void js_tcp_sent(int handle, u32_t len);
IMPORT("tcp_error") void js_tcp_error(int handle, int err);
IMPORT("ping_reply") void js_ping_reply(u32_t from, u32_t sequence);

u32_t sys_now(void) { return js_now(); }
unsigned int lwjs_random(void) { return js_random(); }
void lwjs_assert_failed(const char *message, const char *file, int line) {
  js_assert_failed(message, file, line);
  __builtin_trap();
}

/* One buffer shared both ways: JS writes a received frame or data to send here before a call. */
#define IO_BUFFER_SIZE (256 * 1024)
static u8_t io_buffer[IO_BUFFER_SIZE];
static u8_t frame_buffer[PBUF_POOL_BUFSIZE * 2];

#define MAX_HANDLES (MEMP_NUM_TCP_PCB + MEMP_NUM_TCP_PCB_LISTEN)
static struct tcp_pcb *handles[MAX_HANDLES + 1]; /* slot 0 is never used: 0 means "no handle" */

/* Handles whose connection has sent or received a FIN. lwIP frees a pcb in TIME_WAIT without a
 * callback (on expiry, or to make room for a new one), so such handles are let go as soon as
 * their pcb enters TIME_WAIT: release_time_wait runs after every call that can move it there. */
static u8_t closing[MAX_HANDLES + 1];
static int closing_count;

/* Slot 0 is the primary netif (lwjs_init), the default route; the others come and go. */
#define MAX_NETIFS 64
static struct netif netifs[MAX_NETIFS];
static u8_t netif_used[MAX_NETIFS];

/* lwjs_input's result for a frame no netif's MAC matches: dropped, as a NIC filters. */
#define NOT_FOR_US 1

static struct raw_pcb *icmp_pcb;
static u16_t ping_id;

static int handle_of(void *arg) { return (int)(intptr_t)arg; }

static int handle_new(struct tcp_pcb *pcb) {
  for (int h = 1; h <= MAX_HANDLES; h++) {
    if (handles[h] == NULL) {
      handles[h] = pcb;
      tcp_arg(pcb, (void *)(intptr_t)h);
      return h;
    }
  }
  return 0;
}

static void mark_closing(int h) {
  if (closing[h]) return;
  closing[h] = 1;
  closing_count++;
}

static void free_handle(int h) {
  handles[h] = NULL;
  if (closing[h]) {
    closing[h] = 0;
    closing_count--;
  }
}

static struct tcp_pcb *pcb_of(int h) { return h > 0 && h <= MAX_HANDLES ? handles[h] : NULL; }

static void detach(struct tcp_pcb *pcb) {
  tcp_arg(pcb, NULL);
  if (pcb->state != LISTEN) {
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
  }
}

static err_t netif_output(struct netif *nif, struct pbuf *p) {
  (void)nif;
  if (p->tot_len > sizeof frame_buffer) return ERR_BUF;
  pbuf_copy_partial(p, frame_buffer, p->tot_len, 0);
  js_output(frame_buffer, p->tot_len);
  return ERR_OK;
}

static err_t netif_setup(struct netif *nif) {
  nif->name[0] = 'e';
  nif->name[1] = '0';
  nif->linkoutput = netif_output;
  nif->output = etharp_output;
  nif->mtu = 1500;
  nif->hwaddr_len = ETH_HWADDR_LEN;
  nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
  return ERR_OK;
}

static u8_t icmp_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *from) {
  (void)arg;
  (void)pcb;
  struct icmp_echo_hdr echo;
  u16_t ip_header_len = (u16_t)(IPH_HL_BYTES((struct ip_hdr *)p->payload));
  if (pbuf_copy_partial(p, &echo, sizeof echo, ip_header_len) != sizeof echo) return 0;
  if (echo.type != ICMP_ER || echo.id != lwip_htons(ping_id)) return 0; /* not ours: lwIP's */
  js_ping_reply(lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(from))), lwip_ntohs(echo.seqno));
  pbuf_free(p);
  return 1;
}

/* Addresses cross the boundary as host-order u32 (a.b.c.d = a << 24 | ...). */
static void ip_from_host(ip4_addr_t *out, u32_t host) { ip4_addr_set_u32(out, lwip_htonl(host)); }

EXPORT("io_buffer") u8_t *lwjs_io_buffer(void) { return io_buffer; }
EXPORT("io_buffer_size") u32_t lwjs_io_buffer_size(void) { return IO_BUFFER_SIZE; }

/* Brings up netif slot i with the MAC at the start of io_buffer. */
static err_t netif_start(int i, const ip4_addr_t *address, const ip4_addr_t *netmask, const ip4_addr_t *gateway) {
  struct netif *nif = &netifs[i];
  memset(nif, 0, sizeof *nif);
  if (netif_add(nif, address, netmask, gateway, NULL, netif_setup, ethernet_input) == NULL) return ERR_IF;
  memcpy(nif->hwaddr, io_buffer, ETH_HWADDR_LEN);
  netif_used[i] = 1;
  if (i == 0) netif_set_default(nif);
  netif_set_link_up(nif);
  netif_set_up(nif); /* announces the address with a gratuitous ARP */
  return ERR_OK;
}

/* LWIP_HOOK_IP4_ROUTE_SRC (lwipopts.h): every netif shares the subnet, so ip4_route would pick
 * the first in its list; a pcb bound to an address leaves by that address's netif instead.
 * Unbound (any) sources take the primary. NULL lets ip4_route decide. */
struct netif *lwjs_route_src(const ip4_addr_t *src, const ip4_addr_t *dest) {
  (void)dest;
  if (src == NULL) return NULL; /* ip4_route's own fallback call: no source to go by */
  struct netif *primary = &netifs[0];
  if (ip4_addr_isany(src) || ip4_addr_cmp(src, netif_ip4_addr(primary))) return primary;
  for (int i = 1; i < MAX_NETIFS; i++) {
    if (netif_used[i] && ip4_addr_cmp(src, netif_ip4_addr(&netifs[i]))) return &netifs[i];
  }
  return NULL;
}

/* mac: the 6 bytes at the start of io_buffer. */
EXPORT("init") int lwjs_init(u32_t address, u32_t netmask, u32_t gateway) {
  ip4_addr_t a, m, g;
  ip_from_host(&a, address);
  ip_from_host(&m, netmask);
  ip_from_host(&g, gateway);
  lwip_init();
  err_t err = netif_start(0, &a, &m, &g);
  if (err != ERR_OK) return err;
  icmp_pcb = raw_new(IP_PROTO_ICMP);
  if (icmp_pcb == NULL) return ERR_MEM;
  raw_recv(icmp_pcb, icmp_recv, NULL);
  raw_bind(icmp_pcb, IP_ADDR_ANY);
  ping_id = (u16_t)js_random();
  return ERR_OK;
}

EXPORT("netif_max") u32_t lwjs_netif_max(void) { return MAX_NETIFS; }

/* Another address on the same wire, with the primary's netmask and gateway and the MAC at the
 * start of io_buffer. Returns its netif index (> 0), or ERR_MEM when all slots are taken. */
EXPORT("netif_add") int lwjs_netif_add(u32_t address) {
  int i = 1;
  while (i < MAX_NETIFS && netif_used[i]) i++;
  if (i == MAX_NETIFS) return ERR_MEM;
  ip4_addr_t a;
  ip_from_host(&a, address);
  err_t err = netif_start(i, &a, netif_ip4_netmask(&netifs[0]), netif_ip4_gw(&netifs[0]));
  return err == ERR_OK ? i : err;
}

/* Takes netif i down and out. lwIP aborts the pcbs still bound to its address (those JS has
 * already given back to it); JS resets its own connections and closes its listeners first. */
EXPORT("netif_remove") void lwjs_netif_remove(int i) {
  if (i <= 0 || i >= MAX_NETIFS || !netif_used[i]) return;
  netif_remove(&netifs[i]);
  netif_used[i] = 0;
}

static void release_time_wait(void) {
  for (int h = 1; closing_count > 0 && h <= MAX_HANDLES; h++) {
    struct tcp_pcb *pcb = handles[h];
    if (!closing[h] || pcb == NULL || pcb->state != TIME_WAIT) continue;
    detach(pcb);
    free_handle(h);
    js_tcp_error(h, ERR_CLSD); /* "lwIP has finished with it", as after LAST_ACK */
  }
}

static err_t input_to(struct netif *nif, u16_t len) {
  struct pbuf *p = pbuf_alloc(PBUF_RAW, len, PBUF_POOL);
  if (p == NULL) return ERR_MEM; /* a full pool drops the frame, as a NIC would */
  pbuf_take(p, io_buffer, len);
  err_t err = nif->input(p, nif);
  if (err != ERR_OK) pbuf_free(p);
  return err;
}

/* A received frame of len bytes, at the start of io_buffer: to the netif whose MAC it is for
 * (the primary is checked first: the common case), or to every netif when broadcast or multicast.
 * Returns NOT_FOR_US when no netif has its destination MAC. */
EXPORT("input") int lwjs_input(u32_t len) {
  if (len > IO_BUFFER_SIZE || len > 0xffff) return ERR_ARG;
  if (len < SIZEOF_ETH_HDR) return ERR_ARG;
  err_t err = NOT_FOR_US;
  if (io_buffer[0] & 1) { /* the group bit: broadcast or multicast */
    for (int i = 0; i < MAX_NETIFS; i++) {
      if (netif_used[i]) err = input_to(&netifs[i], (u16_t)len);
    }
  } else {
    for (int i = 0; i < MAX_NETIFS; i++) {
      if (netif_used[i] && memcmp(io_buffer, netifs[i].hwaddr, ETH_HWADDR_LEN) == 0) {
        err = input_to(&netifs[i], (u16_t)len);
        break;
      }
    }
  }
  release_time_wait();
  return err;
}

EXPORT("tick") void lwjs_tick(void) {
  sys_check_timeouts();
  release_time_wait();
}

EXPORT("ping") int lwjs_ping(u32_t to, u32_t sequence) {
  struct pbuf *p = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + 32, PBUF_RAM);
  if (p == NULL) return ERR_MEM;
  struct icmp_echo_hdr *echo = (struct icmp_echo_hdr *)p->payload;
  ICMPH_TYPE_SET(echo, ICMP_ECHO);
  ICMPH_CODE_SET(echo, 0);
  echo->id = lwip_htons(ping_id);
  echo->seqno = lwip_htons((u16_t)sequence);
  for (u16_t i = 0; i < 32; i++) ((u8_t *)p->payload)[sizeof *echo + i] = (u8_t)i;
  echo->chksum = 0;
  echo->chksum = inet_chksum(echo, p->len);
  ip_addr_t dest;
  ip_from_host(ip_2_ip4(&dest), to);
  err_t err = raw_sendto(icmp_pcb, p, &dest);
  pbuf_free(p);
  return err;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  (void)pcb;
  int h = handle_of(arg);
  if (err != ERR_OK) {
    if (p != NULL) pbuf_free(p);
    return ERR_OK;
  }
  if (p == NULL) {
    mark_closing(h);
    js_tcp_recv(h, NULL, 0); /* the peer's FIN */
    return ERR_OK;
  }
  /* JS copies each piece; it calls lwjs_tcp_recved as its reader consumes, which opens the window. */
  for (struct pbuf *q = p; q != NULL; q = q->next) js_tcp_recv(h, q->payload, q->len);
  pbuf_free(p);
  return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
  (void)pcb;
  js_tcp_sent(handle_of(arg), len);
  return ERR_OK;
}

/* lwIP has freed the pcb: free the slot first, then tell JS. */
static void on_error(void *arg, err_t err) {
  int h = handle_of(arg);
  if (h <= 0) return;
  free_handle(h);
  js_tcp_error(h, err);
}

/* RFC 6298's initial retransmission timeout of 1 s, not lwIP's hard-coded 3 s: a segment lost
 * before the first RTT sample otherwise stalls the connection for 3 s on a sub-millisecond wire. */
static void set_initial_rto(struct tcp_pcb *pcb) {
  if (pcb->rttest != 0 || pcb->sa != 0) return; /* already measured */
  pcb->rto = 1000 / TCP_SLOW_INTERVAL;
  pcb->sv = 1000 / TCP_SLOW_INTERVAL;
}

static void attach(struct tcp_pcb *pcb) {
  set_initial_rto(pcb);
  tcp_recv(pcb, on_recv);
  tcp_sent(pcb, on_sent);
  tcp_err(pcb, on_error);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  if (err != ERR_OK || pcb == NULL) return ERR_VAL;
  int h = handle_new(pcb);
  if (h == 0) {
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  attach(pcb);
  tcp_nagle_disable(pcb);
  js_tcp_accepted(handle_of(arg), h);
  return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)pcb;
  (void)err; /* always ERR_OK in lwIP 2.1: failures arrive through on_error */
  js_tcp_connected(handle_of(arg));
  return ERR_OK;
}

/* Bound to address, or to any address when it is 0. Returns a handle (> 0) or a negative err_t. */
EXPORT("tcp_listen") int lwjs_tcp_listen(u32_t port, u32_t address) {
  struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
  if (pcb == NULL) return ERR_MEM;
  ip_addr_t local;
  ip_from_host(ip_2_ip4(&local), address);
  err_t err = tcp_bind(pcb, &local, (u16_t)port);
  if (err != ERR_OK) {
    tcp_close(pcb);
    return err;
  }
  struct tcp_pcb *listener = tcp_listen(pcb);
  if (listener == NULL) {
    tcp_close(pcb);
    return ERR_MEM;
  }
  int h = handle_new(listener);
  if (h == 0) {
    tcp_close(listener);
    return ERR_MEM;
  }
  tcp_accept(listener, on_accept);
  return h;
}

EXPORT("tcp_connect") int lwjs_tcp_connect(u32_t address, u32_t port) {
  struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
  if (pcb == NULL) return ERR_MEM;
  int h = handle_new(pcb);
  if (h == 0) {
    tcp_abort(pcb);
    return ERR_MEM;
  }
  attach(pcb);
  tcp_nagle_disable(pcb);
  ip_addr_t dest;
  ip_from_host(ip_2_ip4(&dest), address);
  err_t err = tcp_connect(pcb, &dest, (u16_t)port, on_connected);
  if (err != ERR_OK) {
    free_handle(h);
    detach(pcb);
    tcp_abort(pcb);
    return err;
  }
  return h;
}

/* Queues up to len bytes from io_buffer; returns how many it took (0: wait for on_sent) or a
 * negative err_t. The send buffer's free space is the backpressure JS sees. */
EXPORT("tcp_write") int lwjs_tcp_write(int h, u32_t len) {
  struct tcp_pcb *pcb = pcb_of(h);
  if (pcb == NULL) return ERR_CONN;
  u32_t room = tcp_sndbuf(pcb);
  u32_t n = len < room ? len : room;
  if (n > IO_BUFFER_SIZE) n = IO_BUFFER_SIZE;
  u32_t done = 0;
  while (done < n) {
    /* tcp_write takes u16 lengths, and is all or nothing: when its segment queue or the heap is
     * full, a smaller piece may still fit. */
    u32_t piece = n - done > 0xffff ? 0xffff : n - done;
    err_t err = tcp_write(pcb, io_buffer + done, (u16_t)piece, TCP_WRITE_FLAG_COPY);
    if (err == ERR_MEM && piece > TCP_MSS) {
      piece = TCP_MSS;
      err = tcp_write(pcb, io_buffer + done, (u16_t)piece, TCP_WRITE_FLAG_COPY);
    }
    if (err == ERR_MEM) break;
    if (err != ERR_OK) return done > 0 ? (int)done : err;
    done += piece;
  }
  tcp_output(pcb);
  return (int)done;
}

/* Free space in the send buffer: JS copies no more than this into io_buffer. */
EXPORT("tcp_sndbuf") u32_t lwjs_tcp_sndbuf(int h) {
  struct tcp_pcb *pcb = pcb_of(h);
  return pcb == NULL ? 0 : tcp_sndbuf(pcb);
}

EXPORT("tcp_recved") void lwjs_tcp_recved(int h, u32_t len) {
  struct tcp_pcb *pcb = pcb_of(h);
  while (pcb != NULL && len > 0) {
    u16_t piece = len > 0xffff ? 0xffff : (u16_t)len;
    tcp_recved(pcb, piece);
    len -= piece;
  }
}

/* Half-close: a FIN after the queued data. */
EXPORT("tcp_shutdown") int lwjs_tcp_shutdown(int h) {
  struct tcp_pcb *pcb = pcb_of(h);
  if (pcb == NULL) return ERR_CONN;
  mark_closing(h);
  err_t err = tcp_shutdown(pcb, 0, 1);
  tcp_output(pcb);
  return err;
}

/* Gives the pcb back to lwIP (which finishes the close on its own) and frees the handle. */
EXPORT("tcp_close") int lwjs_tcp_close(int h) {
  struct tcp_pcb *pcb = pcb_of(h);
  if (pcb == NULL) return ERR_CONN;
  detach(pcb);
  free_handle(h);
  if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb); /* out of memory for the FIN: reset instead */
  return ERR_OK;
}

/* A reset (RST) to the peer; frees the handle. */
EXPORT("tcp_abort") void lwjs_tcp_abort(int h) {
  struct tcp_pcb *pcb = pcb_of(h);
  if (pcb == NULL) return;
  detach(pcb);
  free_handle(h);
  tcp_abort(pcb);
}

EXPORT("tcp_local_port") u32_t lwjs_tcp_local_port(int h) {
  struct tcp_pcb *pcb = pcb_of(h);
  return pcb == NULL ? 0 : pcb->local_port;
}
EXPORT("tcp_remote_port") u32_t lwjs_tcp_remote_port(int h) {
  struct tcp_pcb *pcb = pcb_of(h);
  return pcb == NULL ? 0 : pcb->remote_port;
}
EXPORT("tcp_remote_address") u32_t lwjs_tcp_remote_address(int h) {
  struct tcp_pcb *pcb = pcb_of(h);
  return pcb == NULL ? 0 : lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)));
}
EXPORT("tcp_local_address") u32_t lwjs_tcp_local_address(int h) {
  struct tcp_pcb *pcb = pcb_of(h);
  return pcb == NULL ? 0 : lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)));
}
