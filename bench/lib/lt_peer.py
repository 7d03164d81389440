#!/usr/bin/python3
"""libtorrent (Debian python3-libtorrent, run with /usr/bin/python3) as a peer for benchmarks and
interop tests. Prints one JSON object per line on stdout.

  lt_peer.py create FILE PIECE_LENGTH TORRENT_OUT   v1 torrent of FILE; {"event":"created",...}
  lt_peer.py seed TORRENT SAVE_DIR                  {"event":"listening","port":N}, seeds until stdin closes
  lt_peer.py leech MAGNET SAVE_DIR PEER_PORT        {"event":"started"}, {"event":"done","seconds":S},
                                                    then waits until stdin closes
"""
import json
import os
import sys
import time

import libtorrent as lt


def say(**obj):
    print(json.dumps(obj), flush=True)


def session():
    return lt.session({
        'listen_interfaces': '127.0.0.1:0',
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'allow_multiple_connections_per_ip': True,
        # TCP only, like the engine (libtorrent would try uTP first and wait for it to time out).
        'enable_outgoing_utp': False,
        'enable_incoming_utp': False,
        'alert_mask': 0,
    })


def create(path, piece_length, out):
    started = time.monotonic()
    fs = lt.file_storage()
    lt.add_files(fs, path)
    t = lt.create_torrent(fs, int(piece_length), flags=lt.create_torrent.v1_only)
    t.set_creator('libtorrent')
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(path)))
    data = lt.bencode(t.generate())
    seconds = time.monotonic() - started
    with open(out, 'wb') as f:
        f.write(data)
    info = lt.torrent_info(out)
    say(event='created', seconds=seconds, infoHash=str(info.info_hash()), bytes=info.total_size())


def wait_stdin():
    sys.stdin.read()


def seed(torrent, save_dir):
    ses = session()
    h = ses.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save_dir})
    while not h.status().is_seeding:
        time.sleep(0.02)
    say(event='listening', port=ses.listen_port(), infoHash=str(h.info_hash()))
    wait_stdin()


def leech(magnet, save_dir, peer_port):
    ses = session()
    params = lt.parse_magnet_uri(magnet)
    params.save_path = save_dir
    started = time.monotonic()
    h = ses.add_torrent(params)
    h.connect_peer(('127.0.0.1', int(peer_port)))
    say(event='started')
    last_connect = started
    last_report = started
    while True:
        s = h.status()
        if s.is_seeding:
            break
        if time.monotonic() - last_report > 5:
            say(event='progress', progress=s.progress, peers=s.num_peers, state=str(s.state), rate=s.download_rate)
            last_report = time.monotonic()
        if s.num_peers == 0 and time.monotonic() - last_connect > 5:
            h.connect_peer(('127.0.0.1', int(peer_port)))
            last_connect = time.monotonic()
        time.sleep(0.01)
    say(event='done', seconds=time.monotonic() - started, bytes=h.status().total_wanted)
    wait_stdin()


if __name__ == '__main__':
    command, args = sys.argv[1], sys.argv[2:]
    {'create': create, 'seed': seed, 'leech': leech}[command](*args)
