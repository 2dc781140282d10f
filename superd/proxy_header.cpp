#include "proxy_header.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace superd {
namespace {

constexpr std::string_view kV1Signature = "PROXY ";
constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};
// The spec's longest line, "PROXY UNKNOWN ffff:...:ffff ffff:...:ffff
// 65535 65535\r\n", CRLF included.
constexpr size_t kV1MaxLength = 107;
constexpr size_t kV2FixedLength = 16;  // signature, ver_cmd, fam, len
// The longest text inet_pton(AF_INET6) accepts:
// "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
constexpr size_t kIPv6MaxText = 45;
constexpr size_t kUnixPathSize = 108;  // the spec's, and Linux's sun_path
constexpr uint8_t kTlvCrc32c = 0x03;

ProxyParse Incomplete() { return {}; }

ProxyParse Invalid(std::string error) {
  return {ProxyStatus::kInvalid, {}, std::move(error)};
}

ProxyParse Complete(ProxyHeader header) {
  return {ProxyStatus::kComplete, std::move(header), {}};
}

// Bytes from the peer, fit for a log line: printable ASCII as is, the rest
// as \xNN, at most 48 bytes of it.
std::string Quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (unsigned char c : text.substr(0, 48)) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (text.size() > 48) out += "...";
  return out + "'";
}

std::string Hex(unsigned byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  return {'0', 'x', kHex[(byte >> 4) & 0xf], kHex[byte & 0xf]};
}

// Whether `bytes` and `signature` agree on their common length.
bool AgreesWith(std::string_view bytes, std::string_view signature) {
  const size_t n = std::min(bytes.size(), signature.size());
  return bytes.substr(0, n) == signature.substr(0, n);
}

// --- Version 1 --------------------------------------------------------------
//
// Each field is checked as soon as the space (or CR) after it arrives; the
// field still arriving is checked for whether it can still become valid.
// Exact for all fields but the IPv6 addresses, whose prefixes are checked
// only for their characters and length: the grammar of a prefix of an IPv6
// text (which groups, where the "::" may still go) is not worth a parser of
// its own, and the line's 107 bytes bound the wait anyway.

// A decimal number as the spec writes ports and IPv4 octets: 1 to
// `max_digits` digits, at most `max`, and no leading zero ("Heading zeroes
// are not permitted in front of numbers in order to avoid any possible
// confusion with octal numbers"), so "0" but not "00" or "080"; no sign, no
// space. `open`: `text` may be the beginning of such a number.
bool Decimal(std::string_view text, size_t max_digits, unsigned max, bool open,
             unsigned* value) {
  if (text.empty()) return open;
  if (text.size() > max_digits) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  unsigned n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  *value = n;
  return n <= max;
}

// IPv4 in the spec's form only: exactly 4 decimal octets 0-255 separated by
// single dots, no leading zeros (inet_aton's "10.1", "0x0a.0.0.1" or
// "010.0.0.1" are not it). `open`: `text` may be the beginning of one.
bool IPv4(std::string_view text, bool open, uint8_t out[4]) {
  for (int i = 0; i < 4; ++i) {
    const size_t dot = text.find('.');
    const bool last = i == 3 || dot == std::string_view::npos;
    const std::string_view octet = last ? text : text.substr(0, dot);
    if (i == 3 && dot != std::string_view::npos) return false;  // a 5th
    unsigned value = 0;
    if (!Decimal(octet, 3, 255, open && last, &value)) return false;
    out[i] = static_cast<uint8_t>(value);
    if (last) return open || (i == 3 && !octet.empty());
    text.remove_prefix(dot + 1);
  }
  return false;  // not reached
}

// IPv6 in the text forms inet_ntop writes, which are the ones a sender
// writes: hexadecimal groups, one "::", and a dotted-quad tail for mapped
// addresses ("::ffff:192.0.2.1"), as inet_pton reads them. No zone
// ("fe80::1%eth0"), no brackets. `open`: `text` may be the beginning of one
// (characters and length only: see above).
bool IPv6(std::string_view text, bool open, in6_addr* out) {
  if (text.size() > kIPv6MaxText) return false;
  if (text.find_first_not_of("0123456789abcdefABCDEF:.") != text.npos)
    return false;
  if (open) return true;
  return inet_pton(AF_INET6, std::string(text).c_str(), out) == 1;
}

constexpr const char* kV1FieldNames[4] = {
    "source address", "destination address", "source port", "destination port"};

// The fields after "PROXY TCP4 " or "PROXY TCP6 ": `rest`, without the
// CRLF; `complete`: the CR has arrived, else the last field may be cut
// short. In order, so that the first wrong one is the one named.
ProxyParse ParseV1Addresses(std::string_view proto, std::string_view rest,
                            bool complete) {
  const bool v6 = proto == "TCP6";
  uint8_t v4[2][4] = {};
  in6_addr v6addr[2] = {};
  unsigned ports[2] = {};
  size_t count = 0;
  for (bool more = true; more; ++count) {
    if (count == 4)
      return Invalid("v1 " + std::string(proto) +
                     " line has more than 6 fields: " + Quote(rest));
    const size_t space = rest.find(' ');
    const std::string_view field = rest.substr(0, space);
    more = space != std::string_view::npos;
    const bool open = !complete && !more;
    if (field.empty() && !open)
      return Invalid("v1 " + std::string(proto) + " line has an empty " +
                     kV1FieldNames[count] +
                     " (two spaces, or a space at the end)");
    bool ok;
    if (count >= 2)
      ok = Decimal(field, 5, 65535, open, &ports[count - 2]);
    else if (v6)
      ok = IPv6(field, open, &v6addr[count]);
    else
      ok = IPv4(field, open, v4[count]);
    if (!ok) {
      const char* form =
          count >= 2 ? "a decimal 0-65535 without leading zeros"
          : v6       ? "an IPv6 address"
                     : "a dotted-quad IPv4 address without leading zeros";
      return Invalid("v1 " + std::string(proto) + " " + kV1FieldNames[count] +
                     " " + Quote(field) + " is not " + form);
    }
    if (more) rest.remove_prefix(space + 1);
  }
  if (!complete) return Incomplete();
  if (count < 4)
    return Invalid("v1 " + std::string(proto) + " line has " +
                   std::to_string(count + 2) + " fields, not 6");
  ProxyHeader header;
  header.version = 1;
  SocketAddress* addresses[2] = {&header.source, &header.destination};
  for (int i = 0; i < 2; ++i) {
    const auto port = htons(static_cast<uint16_t>(ports[i]));
    if (v6) {
      sockaddr_in6 in6{};
      in6.sin6_family = AF_INET6;
      in6.sin6_addr = v6addr[i];
      in6.sin6_port = port;
      *addresses[i] =
          SocketAddress(reinterpret_cast<sockaddr*>(&in6), sizeof in6);
    } else {
      sockaddr_in in{};
      in.sin_family = AF_INET;
      std::memcpy(&in.sin_addr, v4[i], 4);
      in.sin_port = port;
      *addresses[i] =
          SocketAddress(reinterpret_cast<sockaddr*>(&in), sizeof in);
    }
  }
  return Complete(header);
}

// `line`: from "PROXY " to the CR (excluded), or what has arrived of it.
ProxyParse ParseV1Line(std::string_view line, bool complete) {
  std::string_view rest = line.substr(kV1Signature.size());
  const size_t space = rest.find(' ');
  const std::string_view proto = rest.substr(0, space);
  if (space == std::string_view::npos && !complete) {
    for (std::string_view known : {"TCP4", "TCP6", "UNKNOWN"})
      if (known.starts_with(proto)) return Incomplete();
  }
  if (proto == "UNKNOWN") {
    // "the receiver must ignore anything presented before the CRLF": after
    // "UNKNOWN" and a space, any byte but CR and LF (already looked for).
    if (!complete) return Incomplete();
    ProxyHeader header;
    header.version = 1;
    header.unknown = true;
    return Complete(header);
  }
  if (proto != "TCP4" && proto != "TCP6")
    return Invalid("v1 protocol " + Quote(proto) +
                   " is not TCP4, TCP6 or UNKNOWN");
  if (space == std::string_view::npos)  // and complete
    return Invalid("v1 " + std::string(proto) +
                   " line ends after the protocol");
  rest.remove_prefix(space + 1);
  return ParseV1Addresses(proto, rest, complete);
}

// `bytes` starts with "PROXY ".
ProxyParse ParseV1(std::string_view bytes) {
  // The line must end in CRLF within 107 bytes: its CR at index 105 at the
  // latest. Neither a lone LF nor a lone CR ends it (the spec: "must not
  // tolerate a single CR or LF character to end the line"), and neither may
  // appear in it: they would be an end the sender did not mean.
  const size_t window = std::min(bytes.size(), kV1MaxLength);
  const size_t eol = bytes.substr(0, window).find_first_of("\r\n");
  if (eol == std::string_view::npos) {
    // A wrong field says more than the length does.
    ProxyParse parsed = ParseV1Line(bytes.substr(0, window), false);
    if (parsed.status == ProxyStatus::kInvalid) return parsed;
    if (bytes.size() >= kV1MaxLength - 1)
      return Invalid("v1 header longer than 107 bytes (no CRLF in them)");
    return parsed;
  }
  if (bytes[eol] == '\n') return Invalid("v1 line ends in LF without CR");
  if (eol + 2 > kV1MaxLength)
    return Invalid("v1 header longer than 107 bytes (no CRLF in them)");
  if (eol + 1 < bytes.size() && bytes[eol + 1] != '\n')
    return Invalid("v1 line has a CR not followed by LF");
  ProxyParse parsed = ParseV1Line(bytes.substr(0, eol), true);
  if (parsed.status == ProxyStatus::kInvalid) return parsed;
  if (eol + 1 == bytes.size()) return Incomplete();  // the LF is to come
  parsed.header.length = eol + 2;
  return parsed;
}

// --- Version 2 --------------------------------------------------------------

// The seven family/transport bytes the spec lists ("In practice, the
// following protocol bytes are expected"), and the size of the address
// block each implies. Other combinations of valid nibbles (0x01, 0x10, ...)
// are not in the spec's list, and the spec's fallback to UNSPEC is for
// "the valid combinations above": they are kInvalid.
bool AddressBlockSize(uint8_t family, size_t* size) {
  switch (family) {
    case 0x00: *size = 0; return true;
    case 0x11: case 0x12: *size = 12; return true;
    case 0x21: case 0x22: *size = 36; return true;
    case 0x31: case 0x32: *size = 2 * kUnixPathSize; return true;
    default: return false;
  }
}

const char* FamilyName(uint8_t family) {
  switch (family) {
    case 0x11: return "TCP/IPv4";
    case 0x12: return "UDP/IPv4";
    case 0x21: return "TCP/IPv6";
    case 0x22: return "UDP/IPv6";
    case 0x31: return "UNIX stream";
    case 0x32: return "UNIX datagram";
    default: return "UNSPEC";
  }
}

uint16_t Be16(std::string_view bytes, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(bytes[at]) << 8 |
                               static_cast<uint8_t>(bytes[at + 1]));
}

// CRC32C (Castagnoli; RFC 4960 appendix B, which the spec cites): reflected
// polynomial 0x82F63B78, initial and final value all ones. Bit by bit: it
// runs once per header, over at most kMaxProxyHeader bytes.
uint32_t Crc32c(std::string_view bytes, size_t zeroed_at) {
  uint32_t crc = 0xffffffff;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const bool zeroed = i >= zeroed_at && i < zeroed_at + 4;
    crc ^= zeroed ? 0u : static_cast<uint8_t>(bytes[i]);
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
  }
  return ~crc;
}

// Walks the TLVs in [begin, end) as far as their type and length have
// arrived: each must fit in the header exactly (the spec's TLVs are type,
// 2-byte length, value, one after the other to the header's end). Their
// values are skipped (the spec allows it) except a CRC32C's, whose offset
// goes to `crc_at`. Empty when nothing is wrong so far.
std::string CheckTlvs(std::string_view bytes, size_t begin, size_t end,
                      size_t* crc_at) {
  size_t at = begin;
  while (at < end) {
    if (end - at < 3)
      return "v2 header ends in a truncated TLV (" + std::to_string(end - at) +
             " bytes at offset " + std::to_string(at) + ")";
    if (at + 3 > bytes.size()) break;  // yet to arrive
    const uint8_t type = static_cast<uint8_t>(bytes[at]);
    const size_t length = Be16(bytes, at + 1);
    if (length > end - at - 3)
      return "v2 TLV " + Hex(type) + " at offset " + std::to_string(at) +
             " of " + std::to_string(length) + " bytes overruns the header (" +
             std::to_string(end) + " bytes)";
    if (type == kTlvCrc32c) {
      // "replace the 32 bits of the checksum field ... with all '0's": with
      // two such fields, which? A sender makes one.
      if (length != 4)
        return "v2 CRC32C TLV of " + std::to_string(length) + " bytes, not 4";
      if (*crc_at != 0) return "v2 header has more than one CRC32C TLV";
      *crc_at = at + 3;
    }
    at += 3 + length;
  }
  return {};
}

SocketAddress Inet4(std::string_view address, std::string_view port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  std::memcpy(&in.sin_addr, address.data(), 4);
  std::memcpy(&in.sin_port, port.data(), 2);  // both in network order
  return SocketAddress(reinterpret_cast<sockaddr*>(&in), sizeof in);
}

SocketAddress Inet6(std::string_view address, std::string_view port) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  std::memcpy(&in6.sin6_addr, address.data(), 16);
  std::memcpy(&in6.sin6_port, port.data(), 2);
  return SocketAddress(reinterpret_cast<sockaddr*>(&in6), sizeof in6);
}

// sun_path as sent, 108 bytes, "NUL-terminated or not". A pathname ends at
// its first NUL (what follows it is whatever was in the sender's buffer).
// A first byte NUL is Linux's abstract namespace, whose name's length the
// 108 bytes do not carry: its trailing NULs are taken as padding; all NULs
// is an unnamed socket (a client that did not bind), as getpeername()
// gives it, sun_path empty.
SocketAddress Unix(std::string_view path) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  size_t n = 0;
  size_t size = offsetof(sockaddr_un, sun_path);
  if (path[0] != '\0') {
    n = std::min(path.find('\0'), path.size());
    size += n + (n < path.size() ? 1 : 0);  // the NUL, when there is room
  } else {
    n = path.find_last_not_of('\0') + 1;  // npos + 1 == 0: unnamed
    size += n;
  }
  std::memcpy(un.sun_path, path.data(), n);
  return SocketAddress(reinterpret_cast<sockaddr*>(&un),
                       static_cast<socklen_t>(size));
}

// `bytes` starts with (a prefix of) the 12-byte signature.
ProxyParse ParseV2(std::string_view bytes) {
  if (bytes.size() <= kV2Signature.size()) return Incomplete();
  const uint8_t ver_cmd = static_cast<uint8_t>(bytes[12]);
  if (ver_cmd >> 4 != 2)
    return Invalid("v2 header of version " + std::to_string(ver_cmd >> 4) +
                   ", not 2");
  const uint8_t command = ver_cmd & 0xf;
  // "Receivers must drop connections presenting unexpected values here."
  if (command > 1)
    return Invalid("v2 command " + Hex(command) +
                   " is neither LOCAL nor PROXY");
  const bool local = command == 0;
  if (bytes.size() == 13) return Incomplete();
  const uint8_t family = static_cast<uint8_t>(bytes[13]);
  size_t block = 0;
  if (!AddressBlockSize(family, &block))
    return Invalid("v2 family and transport " + Hex(family) +
                   " is not one the spec defines");
  // A datagram transport with PROXY describes a UDP flow or a UNIX datagram
  // socket, not the stream the header arrived on: superd relays streams
  // only, so the header describes some other connection. Rejected rather
  // than served as UNSPEC. With LOCAL the family is ignored, so it may be.
  if (!local && (family & 0xf) == 2)
    return Invalid(std::string("v2 PROXY header for ") + FamilyName(family) +
                   " on a stream connection");
  if (bytes.size() < kV2FixedLength) return Incomplete();
  const size_t length = kV2FixedLength + Be16(bytes, 14);
  if (length > kMaxProxyHeader)
    return Invalid("v2 header of " + std::to_string(length) +
                   " bytes, longer than " + std::to_string(kMaxProxyHeader));
  // The same layout whatever the command: a LOCAL header's addresses are
  // not used, but one whose length cannot hold the addresses of the family
  // it names is malformed all the same. UNSPEC has no address block: what
  // follows is TLVs.
  if (length - kV2FixedLength < block)
    return Invalid("v2 address length " +
                   std::to_string(length - kV2FixedLength) +
                   " is too short for " + FamilyName(family) + " (" +
                   std::to_string(block) + " bytes)");
  size_t crc_at = 0;
  const std::string tlv_error =
      CheckTlvs(bytes, kV2FixedLength + block, length, &crc_at);
  if (!tlv_error.empty()) return Invalid(tlv_error);
  if (bytes.size() < length) return Incomplete();
  const std::string_view header_bytes = bytes.substr(0, length);
  if (crc_at != 0) {
    const uint32_t sent = static_cast<uint32_t>(Be16(bytes, crc_at)) << 16 |
                          Be16(bytes, crc_at + 2);
    if (Crc32c(header_bytes, crc_at) != sent)
      return Invalid("v2 header's CRC32C does not match");
  }
  ProxyHeader header;
  header.version = 2;
  header.length = length;
  header.local = local;
  const std::string_view a = bytes.substr(kV2FixedLength, block);
  if (local) {
    // "must use the real connection endpoints and discard the protocol block"
  } else if (family == 0x00) {
    header.unknown = true;
  } else if (family == 0x11) {
    header.source = Inet4(a.substr(0, 4), a.substr(8, 2));
    header.destination = Inet4(a.substr(4, 4), a.substr(10, 2));
  } else if (family == 0x21) {
    header.source = Inet6(a.substr(0, 16), a.substr(32, 2));
    header.destination = Inet6(a.substr(16, 16), a.substr(34, 2));
  } else {  // 0x31
    header.source = Unix(a.substr(0, kUnixPathSize));
    header.destination = Unix(a.substr(kUnixPathSize, kUnixPathSize));
  }
  return Complete(header);
}

}  // namespace

ProxyParse ParseProxyHeader(std::string_view bytes) {
  // The first byte tells them apart ('P' or CR): at most one agrees.
  if (AgreesWith(bytes, kV1Signature)) {
    if (bytes.size() < kV1Signature.size()) return Incomplete();
    return ParseV1(bytes);
  }
  if (AgreesWith(bytes, kV2Signature)) return ParseV2(bytes);
  return Invalid("not a PROXY header: " + Quote(bytes.substr(0, 16)));
}

}  // namespace superd
