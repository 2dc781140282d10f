// echo - the Echo Protocol (RFC 862), a sample service of superd:
// copies its input to its output byte for byte until end of input.
// As a udp wait service it sends every datagram back to its sender, unless
// svc::refuse_sender drops it (a privileged source port, for one).
#include "service.hpp"

static void stream() {
    static char buf[65536];
    while (size_t n = svc::read_some(0, buf, sizeof buf))
        if (!svc::write_all(1, std::string_view(buf, n))) return;
}

static svc::Reply reply(std::string_view request) { return std::string(request); }

int main() { return svc::run("echo", stream, reply); }
