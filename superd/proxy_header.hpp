// ParseProxyHeader: the PROXY protocol header a load balancer puts in front
// of a connection (HAProxy's "The PROXY protocol, Versions 1 & 2",
// doc/proxy-protocol.txt; "the spec" below), version 1 (a text line) or 2
// (binary), told apart by their signatures.
//
// Made for a caller that never blocks: it peeks (MSG_PEEK) at what has
// arrived, up to kMaxProxyHeader bytes, and asks. kIncomplete: wait for
// more (under a deadline: the spec's sender sends the header at once, but
// nothing forces TCP to deliver it so). kComplete: consume exactly
// `header.length` bytes, and the program gets the client's stream from its
// first byte. kInvalid: close the connection, logging `error`.
//
// Pure: no I/O, nothing from superd but SocketAddress, no state between
// calls; it never reads past the header, and it says kInvalid as soon as
// the bytes it has can begin no valid header (a client speaking HTTP to the
// port fails at its first byte), except inside a v1 IPv6 address, which is
// checked whole once its field ends (see proxy_header.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "address.hpp"

namespace superd {

struct ProxyHeader {
  int version = 0;  // 1 (text) or 2 (binary)
  // v2 LOCAL: the balancer's own connection (a health check). Its
  // addresses, if any, are not to be used: the socket's own endpoints are
  // the true ones. `source` and `destination` stay empty.
  bool local = false;
  // v1 "PROXY UNKNOWN", or v2 PROXY with the UNSPEC family (0x00): the
  // balancer could not say who the client is. No addresses; whether to
  // serve such a connection is the caller's choice (the spec allows both).
  bool unknown = false;
  // The client and what it connected to, when neither local nor unknown:
  // AF_INET or AF_INET6 with their ports, or AF_UNIX (v2 only; a pathname,
  // an abstract name, or unnamed: sun_path empty).
  SocketAddress source;
  SocketAddress destination;
  size_t length = 0;  // the header's exact length in bytes, v2 TLVs included

  bool operator==(const ProxyHeader&) const = default;
};

enum class ProxyStatus { kIncomplete, kComplete, kInvalid };

struct ProxyParse {
  ProxyStatus status = ProxyStatus::kIncomplete;
  ProxyHeader header;  // when kComplete
  // When kInvalid: why, for the log ("not a PROXY header", "v1 header longer
  // than 107 bytes", ...). Bytes from the peer appear in it escaped (\xNN),
  // never raw.
  std::string error;
};

// The most bytes a caller must peek: once this many have arrived, the
// answer is never kIncomplete. v1 lines are at most 107
// bytes (the spec); v2 headers at most 4096, nginx's bound
// (NGX_PROXY_PROTOCOL_MAX_HEADER), so that a balancer that works in front
// of nginx works in front of superd. The largest a real sender builds is
// well under it: 16 + 216 bytes of UNIX addresses, then TLVs such as
// HAProxy's SSL block (version, client CN, cipher, algorithms), authority
// (SNI, <= 255) and unique ID (<= 128), AWS's VPC endpoint ID (0xEA), Azure's
// link ID (0xEE), GCP's PSC connection ID (0xE0): about 1 KiB at worst. A
// longer v2 header is kInvalid, saying so.
inline constexpr size_t kMaxProxyHeader = 4096;

// `bytes`: what has arrived so far, a prefix of the stream (client data may
// follow the header: it is not looked at). kIncomplete only while `bytes`
// can still begin a valid header; an empty `bytes` is kIncomplete.
//
// Strict wherever the spec leaves a choice (proxy_header.cpp says why for
// each): v1 needs exact single spaces, dotted-quad IPv4 and ports without
// leading zeros, both addresses of the family named, CRLF within 107 bytes;
// v2 needs version 2, command LOCAL or PROXY, one of the seven
// family/transport bytes the spec lists (a datagram one with PROXY is
// kInvalid: superd relays streams), a length that holds the addresses of
// that family, well-formed TLVs after them (the whole header at most
// kMaxProxyHeader), and a CRC32C TLV, if present, that matches.
ProxyParse ParseProxyHeader(std::string_view bytes);

}  // namespace superd
