#!/usr/bin/perl
# A tiny key-value service: one request line `GET <key>` per connection, one reply line.
use strict;
use warnings;
use IO::Socket::INET;

my %store = ("launch-code" => "7-alpha-7-omega", "motd" => "hello from kv");
my $server = IO::Socket::INET->new(LocalPort => 7070, Listen => 16, ReuseAddr => 1, Proto => "tcp")
  or die "kv: cannot listen: $!";
$| = 1;
print "kv: listening on 7070\n";
while (my $client = $server->accept) {
  my $line = <$client> // "";
  $line =~ s/\s+$//;
  if ($line =~ /^GET (\S+)$/ && exists $store{$1}) {
    print $client "$store{$1}\n";
  } else {
    print $client "ERR unknown request\n";
  }
  close $client;
}
