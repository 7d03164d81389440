-- The demo profile's Prosody (docker/demo-prosody): one VirtualHost, two friends, loopback only.
-- The c2s port comes from BITWEEN_DEMO_XMPP_PORT (default 15222).
local port = tonumber(ENV_BITWEEN_DEMO_XMPP_PORT or "15222")

pidfile = "/var/lib/prosody/prosody.pid"
data_path = "/var/lib/prosody"
interfaces = { "127.0.0.1" }
c2s_ports = { port }
c2s_direct_tls_ports = { }
s2s_ports = { }
http_ports = { }
https_ports = { }
-- Demo only: no certificate, so no TLS; the passwords travel over loopback.
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
modules_enabled = { "disco", "roster", "saslauth", "pep", "ping", "posix", "groups" }
modules_disabled = { "s2s", "tls" }
authentication = "internal_hashed"
storage = "internal"
groups_file = "/etc/prosody/groups.txt"
log = { { levels = { min = "info" }, to = "console" } }

VirtualHost "bitween.demo"
