#!/usr/bin/perl
# fill-backlog.pl SOCKET: open AF_UNIX SOCK_SEQPACKET connections to SOCKET
# (non-blocking) until it takes no more, print how many, then hold them
# until killed.  Used to fill the backlog of a stopped keeper.
use strict;
use warnings;
use Socket;
use IO::Handle;

my $path = shift or die "usage: $0 SOCKET\n";
my @held;
for (1 .. 400) {
	socket(my $s, AF_UNIX, SOCK_SEQPACKET, 0) or die "socket: $!\n";
	$s->blocking(0);
	if (connect($s, pack_sockaddr_un($path))) {
		push @held, $s;
		next;
	}
	last if $!{EAGAIN} || $!{EWOULDBLOCK};
	die "connect: $!\n";
}
print scalar(@held), "\n";
STDOUT->flush;
sleep 600;
