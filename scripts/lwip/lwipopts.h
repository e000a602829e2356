/*
 * lwipopts.h: lwIP 2.1.3 configured as the engine's own TCP/IP stack, one stack per wasm
 * instance with up to 64 netifs on one wire (glue.c's MAX_NETIFS), driven from JavaScript: NO_SYS (no threads, raw/callback API only), IPv4, ARP, ICMP,
 * TCP and UDP. Every limit is a fixed pool, so one instance's memory is bounded and known.
 *
 * Throughput choices (the peers are x86 guests and the engine, on an in-process wire whose RTT is
 * well under a millisecond, so the window is limited by memory, not by the bandwidth-delay product):
 *   TCP_MSS 1460          a full Ethernet frame per segment (1500 MTU), as Linux guests expect.
 *   TCP_WND 256 KiB       with window scaling (shift 3): a slow JS reader does not stall a fast
 *                         sender on 64 KiB, and a lost segment does not empty the pipe while fast
 *                         retransmit repairs it.
 *   TCP_SND_BUF 256 KiB   the same on the sending side, so one write of a large chunk fills a window.
 *   TCP_SND_QUEUELEN      lwIP's sanity minimum, 2 * SND_BUF / MSS, times two: a copied write of a
 *                         chunk that is not MSS-aligned takes two pbufs per segment.
 *   MEM_SIZE 8 MiB        the heap that holds copied send data (PBUF_RAM): about 32 connections
 *                         with a full send buffer each before writes wait on memory.
 *   PBUF_POOL_SIZE 1024   received frames and out-of-order segments: a full 256 KiB window is 180
 *                         segments, so about 5 connections receive at full window at once.
 */
#ifndef LWIP_LWIPOPTS_H
#define LWIP_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 1
#define ARP_QUEUEING 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1

/* Memory: fixed pools and a fixed heap, no libc malloc, so the module needs no memory.grow. */
#define MEM_ALIGNMENT 4
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_SIZE (8 * 1024 * 1024)
#define PBUF_POOL_SIZE 1024
#define MEMP_NUM_PBUF 256
#define MEMP_NUM_RAW_PCB 4
#define MEMP_NUM_UDP_PCB 16
#define MEMP_NUM_TCP_PCB 256
#define MEMP_NUM_TCP_PCB_LISTEN 64
#define MEMP_NUM_TCP_SEG 4096
/* Packets waiting for one ARP answer: lwIP keeps 3 and drops the oldest, which cost a 3 s SYN
 * retransmission when 5 connections opened at once to a peer not yet resolved. */
#define ARP_QUEUE_LEN 32
#define MEMP_NUM_ARP_QUEUE 64
#define MEMP_NUM_REASSDATA 4
/* Entries are per netif (ETHARP_TABLE_MATCH_NETIF): the gateway's netif alone knows every host
 * on the segment, and each extra address the hosts that talk to it. 256 holds a few dozen hosts
 * times a few addresses each without evicting; a lookup that misses the one cached entry scans
 * the table, about a microsecond at this size. */
#define ARP_TABLE_SIZE 256

#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (256 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
/* Only the sockets layer reads the low-water mark (a u16); below lwIP's own ceiling for it. */
#define TCP_SNDLOWAT (0xffff - 4 * TCP_MSS - 1)
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_PBUFS 256
#define LWIP_TCP_SACK_OUT 0
#define TCP_LISTEN_BACKLOG 0
/* TCP timers every 50 ms, not 250: retransmission timeouts count in slow ticks of
 * 2 * TCP_TMR_INTERVAL, and lwIP's RTT arithmetic never gets the RTO below about 3 ticks, so on a
 * sub-millisecond wire this is what bounds the stall after a loss that fast retransmit misses:
 * about 300 ms here, against 1.5 s with lwIP's default. JS checks the timers every 10 ms. */
#define TCP_TMR_INTERVAL 50
/* TIME_WAIT lasts 2 * TCP_MSL: 1 s here, not lwIP's 2 minutes. x86 containers boot from one
 * saved guest state, and a network hands a freed address (and its MAC) to the next container, so
 * a new container's first connection can carry the same addresses, source port and sequence
 * numbers as the last one's: while the stack still held that connection in TIME_WAIT it answered
 * the new SYN with a bare ACK, and the connect hung until TIME_WAIT ran out. On a wire inside
 * one tab no segment lives longer than this. */
#define TCP_MSL 500UL

#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
/* Several netifs, one per address on the same wire (glue.c). */
#define LWIP_SINGLE_NETIF 0
/* They all share the subnet, so ip4_route would send everything by the first: route by the
 * pcb's source address instead (glue.c's lwjs_route_src). */
struct netif;
struct ip4_addr;
struct netif *lwjs_route_src(const struct ip4_addr *src, const struct ip4_addr *dest);
#define LWIP_HOOK_IP4_ROUTE_SRC(src, dest) lwjs_route_src(src, dest)
#define LWIP_STATS 0
#define LWIP_DEBUG 0

/* The checksums are computed and checked: frames come from guests that may be wrong. */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_CHECK_TCP 1
#define LWIP_CHKSUM_ALGORITHM 3

/* Initial sequence numbers and ephemeral ports come from JS (crypto.getRandomValues). */
unsigned int lwjs_random(void);
#define LWIP_RAND() ((u32_t)lwjs_random())

#endif
