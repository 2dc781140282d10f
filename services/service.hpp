// service.hpp - plumbing shared by the sample stdio services of superd
// (see SPEC.md, "Sample services"): error reporting, byte-exact stream
// reading and writing, and the datagram mode every service offers when fd 0
// is a datagram socket (a udp wait service), which never answers a sender
// that could turn it into a reflector (refuse_sender) and never exits
// because one datagram could not be answered.
#pragma once

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

namespace svc {

inline const char* program_name = "superd-service";

// One line "PROGRAM: unable to VERB: strerror" on stderr, then exit 1.
[[noreturn]] inline void fail(const char* verb) {
    std::fprintf(stderr, "%s: unable to %s: %s\n", program_name, verb, std::strerror(errno));
    std::exit(1);
}

// The client went away: the normal end of a stream service, not an error.
inline bool peer_gone(int err) { return err == EPIPE || err == ECONNRESET || err == ETIMEDOUT; }

// Waits until fd is ready; needed only if someone left the socket non-blocking.
inline void wait_ready(int fd, short events) {
    pollfd p{fd, events, 0};
    while (poll(&p, 1, -1) < 0)
        if (errno != EINTR) fail("poll");
}

// Reads up to n bytes; 0 at end of input (or when the client reset the connection).
inline size_t read_some(int fd, void* buf, size_t n) {
    for (;;) {
        ssize_t got = read(fd, buf, n);
        if (got >= 0) return static_cast<size_t>(got);
        if (errno == EAGAIN || errno == EWOULDBLOCK) wait_ready(fd, POLLIN);
        else if (peer_gone(errno)) return 0;
        else if (errno != EINTR) fail("read");
    }
}

// Writes all of data; false when the client has gone away.
inline bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t put = write(fd, data.data(), data.size());
        if (put >= 0) data.remove_prefix(static_cast<size_t>(put));
        else if (errno == EAGAIN || errno == EWOULDBLOCK) wait_ready(fd, POLLOUT);
        else if (peer_gone(errno)) return false;
        else if (errno != EINTR) fail("write");
    }
    return true;
}

// Sends the whole answer of a service that ignores its input (daytime, time:
// "any data received is thrown away"), then ends the stream cleanly: the
// client gets end of input at once, and what it sent is read and dropped
// until it closes too, for at most a second, so that closing does not
// reset the connection. (A socket closed with unread input sends a reset.)
inline void answer_and_close(std::string_view answer) {
    if (!write_all(1, answer) || shutdown(1, SHUT_WR) != 0) return;  // not a socket
    const auto now_ms = [] {
        timespec t{};
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1000LL + t.tv_nsec / 1'000'000;
    };
    const long long deadline = now_ms() + 1000;
    char buf[4096];
    for (long long left; (left = deadline - now_ms()) > 0;) {
        pollfd p{0, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left)) <= 0) return;
        ssize_t got = recv(0, buf, sizeof buf, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) return;
    }
}

// A reply to one datagram, or nothing to send.
using Reply = std::optional<std::string>;

// Errors that concern one client of a datagram socket, never the socket itself:
// that client's datagram is lost and the service carries on.
inline bool transient(int err) {
    switch (err) {
    case EINTR: case EAGAIN: case ECONNREFUSED: case ECONNRESET: case EHOSTUNREACH:
    case EHOSTDOWN: case ENETUNREACH: case ENETDOWN: case EMSGSIZE: case ENOBUFS:
    case EPERM: case EACCES: case ENOENT: case EPIPE:
        return true;
    default:
        return err == EWOULDBLOCK;
    }
}

// An unbound AF_UNIX client has no address to answer to.
inline bool has_return_address(const sockaddr_storage& from, socklen_t len) {
    if (len == 0) return false;
    return from.ss_family != AF_UNIX || len > offsetof(sockaddr_un, sun_path);
}

// Whether an IPv4 source address (host byte order) is no single host to
// answer: 0.0.0.0/8 ("this network"), multicast (224.0.0.0/4) and
// 255.0.0.0/8 (the limited broadcast among them), as OpenBSD inetd. OpenBSD
// also refuses 127.0.0.0/8, as a forged local source; here it is answered:
// Linux already drops those that arrive from outside, and refusing them
// would refuse every local client.
// Nor is the list of local broadcast addresses needed: without SO_BROADCAST
// the kernel refuses to send to one (EACCES).
inline bool bad_ipv4_source(std::uint32_t addr) {
    const std::uint32_t first = addr >> 24;
    return first == 0 || first == 255 || (addr & 0xf0000000u) == 0xe0000000u;
}

// The senders a sample service never answers: OpenBSD inetd's dg_badinput
// (usr.sbin/inetd/inetd.c). A reply to a privileged source port (below
// IPPORT_RESERVED, 1024) could go to another service that answers every
// datagram, and the two would answer each other for ever (echo and chargen:
// CVE-1999-0103); one to port 2049 would hand an NFS server bytes of the
// sender's choice from our privileged port, which it trusts; port 0 asks for
// no reply (RFC 768) and cannot take one. IPv4-mapped IPv6 sources (IPv4
// clients of a dual-stack socket) get the IPv4 rule; OpenBSD drops them all
// because it never delivers IPv4 to an IPv6 socket. Local (AF_UNIX) senders
// cannot be reflected off: only the return address is required of them.
inline bool refuse_sender(const sockaddr_storage& from, socklen_t len) {
    constexpr std::uint16_t nfs_port = 2049;
    std::uint16_t port = 0;
    if (from.ss_family == AF_INET) {
        if (len < sizeof(sockaddr_in)) return true;
        const auto& in = reinterpret_cast<const sockaddr_in&>(from);
        if (bad_ipv4_source(ntohl(in.sin_addr.s_addr))) return true;
        port = ntohs(in.sin_port);
    } else if (from.ss_family == AF_INET6) {
        if (len < sizeof(sockaddr_in6)) return true;
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(from);
        const in6_addr& a = in6.sin6_addr;
        if (IN6_IS_ADDR_MULTICAST(&a) || IN6_IS_ADDR_UNSPECIFIED(&a)) return true;
        if (IN6_IS_ADDR_V4MAPPED(&a)) {
            std::uint32_t v4;
            std::memcpy(&v4, &a.s6_addr[12], sizeof v4);
            if (bad_ipv4_source(ntohl(v4))) return true;
        }
        port = ntohs(in6.sin6_port);
    } else {
        return !has_return_address(from, len);
    }
    return port < IPPORT_RESERVED || port == nfs_port;
}

// Answers each datagram on fd 0 to its sender with reply(request), except
// those refuse_sender() drops; returns after 10 seconds without a datagram.
// A datagram that cannot be answered is lost, never the service: the first
// such failure that is not transient() is reported once on stderr.
inline void serve_datagrams(Reply (*reply)(std::string_view request)) {
    constexpr int idle_ms = 10'000;
    std::vector<char> buf(65536);
    bool send_failure_reported = false;
    for (;;) {
        pollfd p{0, POLLIN, 0};
        int ready = poll(&p, 1, idle_ms);
        if (ready == 0) return;
        if (ready < 0) {
            if (errno == EINTR) continue;
            fail("poll");
        }
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        ssize_t got = recvfrom(0, buf.data(), buf.size(), MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&from), &len);
        if (got < 0) {
            if (transient(errno)) continue;
            fail("receive");
        }
        if (refuse_sender(from, len)) continue;
        Reply answer = reply(std::string_view(buf.data(), static_cast<size_t>(got)));
        if (answer && sendto(0, answer->data(), answer->size(), MSG_DONTWAIT,
                             reinterpret_cast<const sockaddr*>(&from), len) < 0 &&
            !transient(errno) && !send_failure_reported) {
            send_failure_reported = true;
            std::fprintf(stderr, "%s: unable to send: %s\n", program_name, std::strerror(errno));
        }
    }
}

// The whole program: datagram mode if fd 0 is a datagram socket, otherwise
// stream() with the connection (or any other input) on fds 0 and 1.
inline int run(const char* name, void (*stream)(), Reply (*reply)(std::string_view request)) {
    program_name = name;
    std::signal(SIGPIPE, SIG_IGN);  // a vanished client shows up as EPIPE instead
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
        serve_datagrams(reply);
    else
        stream();
    return 0;
}

}  // namespace svc
