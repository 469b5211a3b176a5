"""Live sessions: a phone steers the presenting deck, and the audience follows on their own
devices. sessions.py holds the state, channel.py carries its changes to every worker,
stream.py turns them into server-sent events, and qr.py and lan.py make the addresses."""
