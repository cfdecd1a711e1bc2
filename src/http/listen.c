/* listen.c — --web.listen-address: host:port in Prometheus' syntax to the
 * socket address libmicrohttpd binds.
 *
 * Grammar (Go's net.SplitHostPort, as Prometheus reads it):
 *   "[" IPv6 "]" ":" port      IPv6, brackets required; [::] is dual-stack;
 *                              IPv4-mapped (::ffff:a.b.c.d) is refused
 *   IPv4 ":" port              IPv4 literal (glibc also reads short forms such
 *                              as 127.1); 0.0.0.0 is every IPv4 interface
 *   "localhost" ":" port       127.0.0.1
 *   ":" port                   127.0.0.1: augur binds every interface only when
 *                              told so, unlike Prometheus' ":9090"
 *   port                       decimal digits, 0 … 65535 (0: the kernel picks)
 * Hosts are numeric (getaddrinfo with AI_NUMERICHOST): resolving a name
 * could block start-up on DNS and yield several addresses where one socket
 * is bound, so names other than localhost are refused.
 */
#include "util/common.h"
#include "http/http.h"

#include <arpa/inet.h>
#include <netdb.h>

static bool parse_port(const char *s, uint16_t *out)
{
    uint32_t v = 0;
    size_t n = 0;
    for (; s[n] >= '0' && s[n] <= '9'; n++) {
        v = v * 10 + (uint32_t)(s[n] - '0');
        if (v > 65535)
            return false;
    }
    if (n == 0 || s[n] != '\0')
        return false;
    *out = (uint16_t)v;
    return true;
}

aug_err http_listen_parse(const char *addr, http_listen *out, aug_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    const char *host, *hend, *port;
    bool v6 = addr[0] == '[';
    if (v6) {
        host = addr + 1;
        hend = strchr(host, ']');
        if (hend == NULL)
            return aug_errf(eb, AUG_EINVAL, "'%s': missing ']' after the IPv6 address", addr);
        if (hend[1] != ':')
            return aug_errf(eb, AUG_EINVAL, "'%s': expected ':PORT' after ']'", addr);
        port = hend + 2;
    } else {
        hend = strrchr(addr, ':');
        if (hend == NULL)
            return aug_errf(eb, AUG_EINVAL, "'%s' is not host:port", addr);
        host = addr;
        port = hend + 1;
        if (memchr(host, ':', (size_t)(hend - host)) != NULL)
            return aug_errf(eb, AUG_EINVAL, "'%s': an IPv6 address goes in brackets, e.g. [::1]:9201", addr);
    }
    if (!parse_port(port, &out->port))
        return aug_errf(eb, AUG_EINVAL, "'%s': the port must be a number from 0 to 65535", addr);
    size_t hl = (size_t)(hend - host);
    if (hl >= sizeof out->host)
        return aug_errf(eb, AUG_EINVAL, "'%s': the host is not an IP address", addr);
    memcpy(out->host, host, hl);
    out->host[hl] = '\0';
    if (!v6 && (hl == 0 || strcmp(out->host, "localhost") == 0))
        memcpy(out->host, "127.0.0.1", sizeof "127.0.0.1");

    struct addrinfo hints = {.ai_family = v6 ? AF_INET6 : AF_INET, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_PASSIVE};
    struct addrinfo *res = NULL;
    if (getaddrinfo(out->host, NULL, &hints, &res) != 0 || res == NULL || res->ai_addrlen > sizeof out->sa) {
        if (res != NULL)
            freeaddrinfo(res);
        if (v6)
            return aug_errf(eb, AUG_EINVAL, "'%s': '%s' is not an IPv6 address", addr, out->host);
        return aug_errf(eb, AUG_EINVAL,
                        "'%s': '%s' is not an IPv4 address (host names other than localhost are not resolved; "
                        "IPv6 goes in brackets)",
                        addr, out->host);
    }
    memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
    socklen_t salen = res->ai_addrlen;
    freeaddrinfo(res);
    if (v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->sa;
        /* MHD binds IPv6 addresses IPV6_V6ONLY (only [::] is dual-stack),
         * where the kernel refuses a mapped address: say so now. */
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
            return aug_errf(eb, AUG_EINVAL, "'%s': an IPv4-mapped address; write the IPv4 address without brackets",
                            addr);
        s6->sin6_port = htons(out->port);
        out->dual_stack = IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
    } else {
        ((struct sockaddr_in *)&out->sa)->sin_port = htons(out->port);
    }
    /* getaddrinfo also takes spellings such as 127.1 or 0:0:0:0:0:0:0:1;
     * logs and errors show the address in its canonical form. */
    if (getnameinfo((const struct sockaddr *)&out->sa, salen, out->host, sizeof out->host, NULL, 0,
                    NI_NUMERICHOST) != 0)
        return aug_errf(eb, AUG_EINVAL, "'%s': the host is not an IP address", addr);
    return AUG_OK;
}

void http_listen_format(const http_listen *l, uint16_t port, char *buf, size_t cap)
{
    snprintf(buf, cap, l->sa.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", l->host, (unsigned)port);
}
