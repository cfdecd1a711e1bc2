/* test_listen.c — http_listen_parse: exact socket addresses for every form
 * of --web.listen-address, and the exact one-line reason for bad ones. */
#include "util/common.h"
#include "http/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "../check.h"

/* Parses addr and checks family, the address in numeric form, port,
 * dual-stack and the formatted "host:port". */
static void ok(const char *addr, int family, const char *ip, uint16_t port, bool dual, const char *text)
{
    http_listen l;
    aug_errbuf eb = {{0}};
    aug_err err = http_listen_parse(addr, &l, &eb);
    CHECK_EQ_I64(err, AUG_OK);
    if (err != AUG_OK) {
        fprintf(stderr, "  %s: %s\n", addr, eb.msg);
        return;
    }
    char got[INET6_ADDRSTRLEN];
    CHECK_EQ_I64(l.sa.ss_family, family);
    if (family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&l.sa;
        CHECK(inet_ntop(AF_INET, &s4->sin_addr, got, sizeof got) != NULL);
        CHECK_EQ_I64(ntohs(s4->sin_port), port);
    } else {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&l.sa;
        CHECK(inet_ntop(AF_INET6, &s6->sin6_addr, got, sizeof got) != NULL);
        CHECK_EQ_I64(ntohs(s6->sin6_port), port);
    }
    CHECK_STR(got, ip);
    CHECK_EQ_I64(l.port, port);
    CHECK(l.dual_stack == dual);
    char buf[96];
    http_listen_format(&l, l.port, buf, sizeof buf);
    CHECK_STR(buf, text);
}

static void bad(const char *addr, const char *why)
{
    http_listen l;
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(http_listen_parse(addr, &l, &eb), AUG_EINVAL);
    CHECK_STR(eb.msg, why);
}

static void test_ipv4_forms(void)
{
    ok("127.0.0.1:9201", AF_INET, "127.0.0.1", 9201, false, "127.0.0.1:9201");
    ok(":9201", AF_INET, "127.0.0.1", 9201, false, "127.0.0.1:9201"); /* empty host: loopback, not all */
    ok("localhost:80", AF_INET, "127.0.0.1", 80, false, "127.0.0.1:80");
    ok("0.0.0.0:9201", AF_INET, "0.0.0.0", 9201, false, "0.0.0.0:9201");
    ok("10.1.2.3:0", AF_INET, "10.1.2.3", 0, false, "10.1.2.3:0");
    ok("127.0.0.1:65535", AF_INET, "127.0.0.1", 65535, false, "127.0.0.1:65535");
    ok("127.1:80", AF_INET, "127.0.0.1", 80, false, "127.0.0.1:80"); /* glibc's short form, shown canonical */
}

static void test_ipv6_forms(void)
{
    ok("[::1]:9201", AF_INET6, "::1", 9201, false, "[::1]:9201");
    ok("[::]:9201", AF_INET6, "::", 9201, true, "[::]:9201"); /* the one dual-stack address */
    ok("[0:0:0:0:0:0:0:1]:1", AF_INET6, "::1", 1, false, "[::1]:1"); /* shown canonical */
    ok("[2001:DB8:0::7]:0", AF_INET6, "2001:db8::7", 0, false, "[2001:db8::7]:0");
}

static void test_ipv6_zone(void)
{
    http_listen l;
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(http_listen_parse("[fe80::1%lo]:9201", &l, &eb), AUG_OK);
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&l.sa;
    CHECK_EQ_I64(l.sa.ss_family, AF_INET6);
    CHECK(s6->sin6_scope_id != 0); /* the loopback interface's index */
    CHECK_STR(l.host, "fe80::1%lo");
}

static void test_bad_addresses(void)
{
    bad("[::1", "'[::1': missing ']' after the IPv6 address");
    bad("[::1]", "'[::1]': expected ':PORT' after ']'");
    bad("[::1]9201", "'[::1]9201': expected ':PORT' after ']'");
    bad("::1:9201", "'::1:9201': an IPv6 address goes in brackets, e.g. [::1]:9201");
    bad("::1", "'::1': an IPv6 address goes in brackets, e.g. [::1]:9201");
    bad("9201", "'9201' is not host:port");
    bad("", "'' is not host:port");
    bad("127.0.0.1:65536", "'127.0.0.1:65536': the port must be a number from 0 to 65535");
    bad("[::1]:99999999999999999999", "'[::1]:99999999999999999999': the port must be a number from 0 to 65535");
    bad("127.0.0.1:", "'127.0.0.1:': the port must be a number from 0 to 65535");
    bad("127.0.0.1:+80", "'127.0.0.1:+80': the port must be a number from 0 to 65535");
    bad("127.0.0.1:80x", "'127.0.0.1:80x': the port must be a number from 0 to 65535");
    bad("127.0.0.1: 80", "'127.0.0.1: 80': the port must be a number from 0 to 65535");
    bad("example.com:9201", "'example.com:9201': 'example.com' is not an IPv4 address (host names other than "
                            "localhost are not resolved; IPv6 goes in brackets)");
    bad("1.2.3.4.5:80", "'1.2.3.4.5:80': '1.2.3.4.5' is not an IPv4 address (host names other than localhost "
                        "are not resolved; IPv6 goes in brackets)");
    bad("[]:9201", "'[]:9201': '' is not an IPv6 address");
    bad("[127.0.0.1]:9201", "'[127.0.0.1]:9201': '127.0.0.1' is not an IPv6 address");
    bad("[localhost]:9201", "'[localhost]:9201': 'localhost' is not an IPv6 address");
    bad("[::1::2]:9201", "'[::1::2]:9201': '::1::2' is not an IPv6 address");
    bad("[::ffff:127.0.0.1]:9201",
        "'[::ffff:127.0.0.1]:9201': an IPv4-mapped address; write the IPv4 address without brackets");
    char longhost[200];
    memset(longhost, 'a', sizeof longhost);
    memcpy(longhost + sizeof longhost - 4, ":80", 4);
    http_listen l;
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(http_listen_parse(longhost, &l, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "': the host is not an IP address") != NULL);
}

CHECK_MAIN(CHECK_CASE(test_ipv4_forms), CHECK_CASE(test_ipv6_forms), CHECK_CASE(test_ipv6_zone),
           CHECK_CASE(test_bad_addresses))
