# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_clusterdns_global_optspecs
    string join \n log= log-format= h/help V/version
end

function __fish_clusterdns_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_clusterdns_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_clusterdns_using_subcommand
    set -l cmd (__fish_clusterdns_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c clusterdns -n "__fish_clusterdns_needs_command" -l log -d 'Log filter (error, warn, info, debug, trace, or a tracing directive) [default: the config file\'s `log`, else info]' -r
complete -c clusterdns -n "__fish_clusterdns_needs_command" -l log-format -d 'Log line format: text (colour only on a terminal) or json (one object per line)' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line (timestamp, level, fields)'"
complete -c clusterdns -n "__fish_clusterdns_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clusterdns -n "__fish_clusterdns_needs_command" -s V -l version -d 'Print version'
complete -c clusterdns -n "__fish_clusterdns_needs_command" -f -a "serve" -d 'Serve every NAME.zone file of a directory, authoritatively, over UDP and TCP'
complete -c clusterdns -n "__fish_clusterdns_needs_command" -f -a "check" -d 'Check zone files as the server would read them; print problems and a summary'
complete -c clusterdns -n "__fish_clusterdns_needs_command" -f -a "import-bind" -d 'Print the clusterdns TOML config equivalent to a BIND named.conf'
complete -c clusterdns -n "__fish_clusterdns_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l config -d 'TOML config file (the command line overrides it)' -r -F
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l named-conf -d 'Serve as BIND would from this named.conf (zones, listen-on, allow-query, forwarders)' -r -F
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l zones -d 'Directory of zone files; each NAME.zone serves the zone NAME [default: zones]' -r -F
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l listen -d 'Address to listen on, UDP and TCP (repeatable). Default: 0.0.0.0:53 and [::]:53' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l threads -d 'UDP worker threads per listen address, and TCP event-loop threads (default: one per core)' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l poll-interval -d 'Poll the zone directory every SECS seconds instead of using inotify' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l debounce-ms -d 'Debounce for file-change events, in milliseconds [default: 20]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l tcp-clients -d 'Most TCP connections served at once; when full, the idlest is closed for a newcomer (kept under the open-files limit) [default: 1024]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l tcp-idle-timeout -d 'Close a TCP connection idle for this many seconds [default: 10]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l tcp-coalesce-us -d 'Under concurrent TCP/DoT load, gather a loop\'s queries for up to this many microseconds before answering them together (fewer wake-ups per query; 0: answer at once) [default: 1000]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l user -d 'Started as root: become this user (and its group) once the sockets are bound' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l metrics -d 'Serve Prometheus metrics at http://ADDR:PORT/metrics' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l tcp-clients-per-ip -d 'Most TCP connections from one client address; a newer one closes its idlest [default: 64]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l listen-tls -d 'Serve DNS over TLS (RFC 7858) on this address, e.g. 0.0.0.0:853 (repeatable)' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l listen-https -d 'Serve DNS over HTTPS (RFC 8484, HTTP/2, /dns-query) on this address, e.g. 0.0.0.0:443 (repeatable)' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l tls-cert -d 'Certificate chain for DoT and DoH, PEM, leaf first (re-read on SIGHUP and when it changes)' -r -F
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l tls-key -d 'Private key of that certificate, PEM' -r -F
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l rrl-responses-per-second -d 'Turn on UDP response-rate limiting: answers per second per client prefix and name (BIND\'s responses-per-second)' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l rrl-errors-per-second -d 'Error responses per second per client prefix [default: the responses rate]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l rrl-nxdomains-per-second -d 'NXDOMAIN responses per second per client prefix [default: the responses rate]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l rrl-slip -d 'Send every Nth limited response truncated (TC=1) so real clients retry over TCP; 0 drops all [default: 2]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l rrl-window -d 'Seconds over which rates are averaged [default: 15]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l rrl-ipv4-prefix-length -d 'IPv4 clients are grouped by this prefix length [default: 24]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l rrl-ipv6-prefix-length -d 'IPv6 clients are grouped by this prefix length [default: 56]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l rrl-exempt -d 'Clients never rate-limited (repeatable), e.g. 10.0.0.0/8' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l allow-transfer -d 'Clients that may AXFR/IXFR every zone (repeatable), e.g. 10.0.0.2 or 10.0.0.0/24 [default: none]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l tsig-key -d 'A TSIG key that may transfer every zone (repeatable), NAME:ALG:BASE64SECRET (hmac-sha256, hmac-sha1, hmac-sha512)' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l also-notify -d 'Send NOTIFY here when a zone\'s serial changes (repeatable), ADDR:PORT' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l secondary -d 'Be secondary for ZONE (repeatable): transferred from the primaries and kept as ZONE.zone in the zone directory, ZONE@ADDR:PORT[,ADDR:PORT]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l withdraw-grace-ms -d 'Withdraw a zone whose file vanished only after it stayed absent this long [default: 2000]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l max-zone-records -d 'Most records in one zone; a zone over it is rejected (its last good version is kept) [default: 10000000]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l max-zone-bytes -d 'Most bytes of zone text read for one zone, includes counted [default: 4294967296]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l max-generate-records -d 'Most records all $GENERATE lines of one zone make together [default: 10000000]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l max-rrset-records -d 'Most records in one RRset (at most 65535) [default: 4000, about what one 64 KiB message carries]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l nsid -d 'Identify this server to clients that ask (EDNS NSID, RFC 5001): text, or 0x and hex digits. Tells apart the servers of one cluster behind one address' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l log -d 'Log filter (error, warn, info, debug, trace, or a tracing directive) [default: the config file\'s `log`, else info]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l log-format -d 'Log line format: text (colour only on a terminal) or json (one object per line)' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line (timestamp, level, fields)'"
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l no-watch -d 'Do not watch the zone directory for changes'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l auto-serial -d 'Bump the served SOA serial (YYYYMMDDnn) when a zone\'s content changes but its serial did not'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l auto-ptr -d 'Synthesize PTR records in every reverse zone served from the A/AAAA records of the forward zones (a PTR in the reverse file wins)'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -l query-log -d 'Log one line per query (client, qname, qtype, rcode, flags, size, microseconds)'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand check" -l config -d 'Check this TOML config file and every zone it serves (instead of PATHS)' -r -F
complete -c clusterdns -n "__fish_clusterdns_using_subcommand check" -l named-conf -d 'Check this named.conf and every zone it serves (instead of PATHS)' -r -F
complete -c clusterdns -n "__fish_clusterdns_using_subcommand check" -l origin -d 'Origin of the zone (default: the file name without .zone)' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand check" -l against -d 'With --lint: compare serials and names with the server running at ADDR:PORT' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand check" -l log -d 'Log filter (error, warn, info, debug, trace, or a tracing directive) [default: the config file\'s `log`, else info]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand check" -l log-format -d 'Log line format: text (colour only on a terminal) or json (one object per line)' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line (timestamp, level, fields)'"
complete -c clusterdns -n "__fish_clusterdns_using_subcommand check" -l print -d 'Print the records in canonical form (as named-compilezone -s full -o -)'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand check" -l lint -d 'Lint the zones as a set: forward against reverse, PTR and NS targets, names per address'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand import-bind" -l log -d 'Log filter (error, warn, info, debug, trace, or a tracing directive) [default: the config file\'s `log`, else info]' -r
complete -c clusterdns -n "__fish_clusterdns_using_subcommand import-bind" -l log-format -d 'Log line format: text (colour only on a terminal) or json (one object per line)' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line (timestamp, level, fields)'"
complete -c clusterdns -n "__fish_clusterdns_using_subcommand import-bind" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand help; and not __fish_seen_subcommand_from serve check import-bind help" -f -a "serve" -d 'Serve every NAME.zone file of a directory, authoritatively, over UDP and TCP'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand help; and not __fish_seen_subcommand_from serve check import-bind help" -f -a "check" -d 'Check zone files as the server would read them; print problems and a summary'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand help; and not __fish_seen_subcommand_from serve check import-bind help" -f -a "import-bind" -d 'Print the clusterdns TOML config equivalent to a BIND named.conf'
complete -c clusterdns -n "__fish_clusterdns_using_subcommand help; and not __fish_seen_subcommand_from serve check import-bind help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
