// time - the Time Protocol (RFC 868), a sample service of superd:
// sends the current time as 32-bit big-endian seconds since 1900-01-01 00:00 UTC,
// then closes. As a udp wait service it answers every datagram with those 4 bytes,
// except those svc::refuse_sender drops.
#include <cstdint>
#include <ctime>

#include "service.hpp"

static std::string rfc868_time() {
    constexpr std::uint32_t seconds_1900_to_1970 = 2208988800U;
    std::time_t now = std::time(nullptr);
    if (now == -1) svc::fail("read the clock");
    // Modulo 2^32, as the RFC's 32-bit field wraps in 2036.
    auto t = static_cast<std::uint32_t>(now) + seconds_1900_to_1970;
    return {static_cast<char>(t >> 24), static_cast<char>(t >> 16),
            static_cast<char>(t >> 8), static_cast<char>(t)};
}

static void stream() { svc::answer_and_close(rfc868_time()); }

static svc::Reply reply(std::string_view) { return rfc868_time(); }

int main() { return svc::run("time", stream, reply); }
