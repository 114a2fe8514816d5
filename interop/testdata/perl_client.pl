# Drive Telephony::Asterisk::AMI (Debian's libtelephony-asterisk-ami-perl)
# against an AMI server.
#
# Run by ../perl_test.go as:
#
#	/usr/bin/perl perl_client.pl HOST PORT USERNAME SECRET
#
# It speaks the driver protocol of ../helpers_test.go on stdout and stdin:
# "PUBLISH <name>" asks the Go test to publish a UserEvent named <name> and
# waits for a line on stdin; "RESULT <json>" is the report, printed last.
# Every message in the report is {lowercased header: [values]}, as the
# module parsed it. The module's wire transcript (">> " sent, "<< "
# received) also goes to stdout, where the test logs it.
#
# The module is synchronous: connect() reads the banner and logs in (no
# Events header, so events are on), action() writes "ActionID: N" first and
# the other headers sorted by name, then reads messages until one carries
# that ActionID or says "Response: Error", handing every other message to
# Event_Callback. There is no other event loop: events are seen only while
# an action waits, or by calling read_response.
use strict;
use warnings;

use JSON::PP ();
use Telephony::Asterisk::AMI ();

use constant TIMEOUT => 10;    # seconds for any one step

$| = 1;
my ($host, $port, $username, $secret) = @ARGV;
@ARGV == 4 or die "usage: perl_client.pl HOST PORT USERNAME SECRET\n";

my %report = (steps => {}, userevents => []);
my $steps = $report{steps};

# norm returns the message's headers as {lowercased key: [values]}.
sub norm {
	my ($message) = @_;
	my %out;
	for my $key (sort keys %$message) {
		my $v = $message->{$key};
		push @{ $out{ lc $key } }, map { "$_" } ref $v ? @$v : $v;
	}
	return \%out;
}

# timed runs code, dying if it takes longer than TIMEOUT.
sub timed {
	my ($what, $code) = @_;
	local $SIG{ALRM} = sub { die "timeout waiting for $what\n" };
	alarm TIMEOUT;
	my @r = $code->();
	alarm 0;
	return wantarray ? @r : $r[0];
}

# Recorder is the module with action() wrapped to keep each response, so
# the Login that connect() sends and the Logoff of disconnect() can be
# reported too; after Logoff it also waits for the server to close.
package Recorder {
	our @ISA = ('Telephony::Asterisk::AMI');
	our %last;    # Action => its response

	sub action {
		my $self     = shift;
		my $act      = (@_ == 1) ? shift : {@_};
		my $response = $self->SUPER::action($act);
		$last{ $act->{Action} } = $response;
		if ($act->{Action} eq 'Logoff') {
			# Before disconnect() closes our end, see whether the
			# server closes the connection, as Asterisk does.
			while (1) {
				my $m = main::timed('server close after Logoff', sub { $self->read_response });
				last if ($m->{Message} // '') =~ /^Reading from socket failed/;
			}
			$report{closed} = JSON::PP::true;
			delete $self->{error};
		}
		return $response;
	}
}

my $ami = Recorder->new(
	Host     => $host,
	Port     => $port,
	Username => $username,
	Secret   => $secret,
	Debug_FH => \*STDOUT,
	Event_Callback => sub {
		my ($event) = @_;
		my $name = $event->{Event} // '';
		if ($name eq 'FullyBooted') {
			$report{fullybooted} //= norm($event);
		} elsif ($name eq 'UserEvent') {
			push @{ $report{userevents} }, norm($event);
		}
	},
);

sub publish {
	my ($name) = @_;
	print "PUBLISH $name\n";
	my $line = timed('driver', sub { scalar <STDIN> }) // '';
	chomp $line;
	$line eq 'published' or die "driver answered '$line'\n";
}

sub action {
	my ($step, @fields) = @_;
	my $response = timed($step, sub { $ami->action(@fields) });
	defined $ami->error and die "$step: " . $ami->error . "\n";
	$steps->{$step} = norm($response);
	return $response;
}

timed('connect', sub { $ami->connect }) or die "connect: " . $ami->error . "\n";
$steps->{login} = norm($Recorder::last{Login});
$report{authenticated} = JSON::PP::true;
# The module chomps the banner with $/ = "\n", so a "\r\n" banner leaves
# its "\r" on the version.
$report{version} = $ami->{protocol};

# FullyBooted follows the Login response, so Ping's wait delivers it.
action('ping', Action => 'Ping');
action('command', Action => 'Command', Command => 'core show version');
action('badcommand', Action => 'Command', Command => 'core show nosuchthing');
action('listcommands', Action => 'ListCommands');
action('coresettings', Action => 'CoreSettings');
action('corestatus', Action => 'CoreStatus');

action('events_off', Action => 'Events', EventMask => 'off');
publish('InteropOff');
# Had InteropOff been sent, this action's wait would deliver it.
action('events_on', Action => 'Events', EventMask => 'on');
publish('InteropOn');
# The event is queued ahead of this Ping's response.
action('ping_after_event', Action => 'Ping');

# disconnect sends Logoff, insists on "Response: Goodbye" and closes.
timed('disconnect', sub { $ami->disconnect }) or die "disconnect: " . $ami->error . "\n";
$steps->{logoff} = norm($Recorder::last{Logoff});

print "RESULT " . JSON::PP->new->canonical->encode(\%report) . "\n";
