// daytime - the Daytime Protocol (RFC 867), a sample service of superd:
// sends one line with the current local date and time, e.g.
// "Tuesday, November 24, 2026 13:09:56 CET\r\n", then closes.
// As a udp wait service it answers every datagram with that line, except those
// svc::refuse_sender drops.
#include <ctime>

#include "service.hpp"

static std::string daytime() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    if (now == -1) svc::fail("read the clock");
    if (localtime_r(&now, &local) == nullptr) svc::fail("convert the time");
    char line[128];
    size_t n = std::strftime(line, sizeof line, "%A, %B %d, %Y %H:%M:%S %Z\r\n", &local);
    return std::string(line, n);
}

static void stream() { svc::answer_and_close(daytime()); }

static svc::Reply reply(std::string_view) { return daytime(); }

int main() { return svc::run("daytime", stream, reply); }
