package pbx

import (
	"sort"
	"strings"
	"sync"
)

// Doc is the documentation of a dialplan application, as "core show
// application" prints it. Asterisk builds it from the XML documentation of
// each module; Asterism keeps it in a table, written for the behaviour of
// its own applications.
type Doc struct {
	Name        string   // as registered ("Playback")
	Synopsis    string   // one line, Asterisk 20's own wording
	Syntax      string   // "Playback(filename[&filename2[&...]],[options])"
	Description string   // paragraphs separated by blank lines
	Arguments   []DocArg // in the order of Syntax
	SeeAlso     []string // related applications, by name
}

// DocArg is one argument of an application.
type DocArg struct {
	Name string
	Text string // may hold several lines
}

// AppDoc returns the documentation of the application called name, ignoring
// case as application names are.
func AppDoc(name string) (Doc, bool) {
	appDocsMu.RLock()
	defer appDocsMu.RUnlock()
	d, ok := appDocs[strings.ToLower(name)]
	return d, ok
}

// RegisterAppDoc adds (or replaces) the documentation of an application
// that a package outside the core provides (VoiceMail, Queue …). Register
// it before the application, whose synopsis [Core.RegisterApp] takes from
// it.
func RegisterAppDoc(d Doc) {
	appDocsMu.Lock()
	defer appDocsMu.Unlock()
	appDocs[strings.ToLower(d.Name)] = d
}

// AppDocNames returns the names of the documented applications, sorted
// ignoring case.
func AppDocNames() []string {
	appDocsMu.RLock()
	out := make([]string, 0, len(appDocs))
	for _, d := range appDocs {
		out = append(out, d.Name)
	}
	appDocsMu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out
}

// appDocs is keyed by the lower-case name. It covers every application the
// core registers and those other packages add (Background, WaitExten …).
var appDocsMu sync.RWMutex // guards appDocs

var appDocs = func() map[string]Doc {
	m := make(map[string]Doc, len(appDocList))
	for _, d := range appDocList {
		m[strings.ToLower(d.Name)] = d
	}
	return m
}()

var appDocList = []Doc{
	{
		Name:     "Answer",
		Synopsis: "Answer a channel if ringing.",
		Syntax:   "Answer([delay,[options]])",
		Description: "If the call has not been answered, this application will answer it. Otherwise, it has no\n" +
			"effect on the call.",
		Arguments: []DocArg{
			{"delay", "Asterisk will wait this number of milliseconds before returning to the dialplan\nafter answering the call."},
			{"options", "i: Answer the channel immediately without waiting for media to be\nsetup (ignored by Asterism, whose channels have media at once)."},
		},
		SeeAlso: []string{"Hangup"},
	},
	{
		Name:        "Background",
		Synopsis:    "Play an audio file while waiting for digits of an extension to go to.",
		Syntax:      "Background(filename1[&filename2[&...]],[options,[langoverride,[context]]])",
		Description: "Plays the files while listening for digits: as soon as the caller dials an extension\nthat exists in the context, the dialplan goes on there. Follow it with WaitExten to keep\nlistening once the files have been played.\n\nThe variable BACKGROUNDSTATUS is set to SUCCESS, or to FAILED when a file is missing (the\ndialplan then goes on).",
		Arguments: []DocArg{
			{"filenames", "filename1\nfilename2: The files to play, in order, without their extension."},
			{"options", "s: Causes the playback of the message to be skipped if the channel is not in the\n'up' state (i.e. it hasn't been answered yet).\nn: Don't answer the channel before playing the files.\nm: Only break if a digit hit matches a one digit extension in the destination context."},
			{"langoverride", "Explicitly specifies which language to attempt to use for the requested sound files."},
			{"context", "This is the dialplan context that this application will use when exiting to a dialed\nextension."},
		},
		SeeAlso: []string{"ControlPlayback", "WaitExten", "BackgroundDetect"},
	},
	{
		Name:     "Busy",
		Synopsis: "Indicate the Busy condition.",
		Syntax:   "Busy([timeout])",
		Description: "This application will indicate the busy condition to the calling channel.\n\n" +
			"The channel is hung up with cause 17 (User busy) once the timeout has passed, or at once\nwhen no timeout is given.",
		Arguments: []DocArg{
			{"timeout", "If specified, the calling channel will be hung up after the specified number of\nseconds. Otherwise, this application will wait until the calling channel hangs up."},
		},
		SeeAlso: []string{"Congestion", "Progress", "Playtones", "Hangup"},
	},
	{
		Name:     "Congestion",
		Synopsis: "Indicate the Congestion condition.",
		Syntax:   "Congestion([timeout])",
		Description: "This application will indicate the congestion condition to the calling channel.\n\n" +
			"The channel is hung up with cause 34 (Circuit/channel congestion) once the timeout has\npassed, or at once when no timeout is given.",
		Arguments: []DocArg{
			{"timeout", "If specified, the calling channel will be hung up after the specified number of\nseconds. Otherwise, this application will wait until the calling channel hangs up."},
		},
		SeeAlso: []string{"Busy", "Progress", "Playtones", "Hangup"},
	},
	{
		Name:     "Dial",
		Synopsis: "Attempt to connect to another device or endpoint and bridge the call.",
		Syntax:   "Dial(Technology/Resource[&Technology2/Resource2[&...]],[timeout,[options,[URL]]])",
		Description: "Calls every given device at once. The first one to answer is joined with the calling\n" +
			"channel, which is answered first if it was not yet, in a two-party bridge; the devices\n" +
			"still ringing are hung up.\n\n" +
			"Dial waits until a device answers, the caller hangs up, every device has failed (busy,\n" +
			"congested, unavailable) or the timeout, if given, has passed. In all but the first two\n" +
			"cases the dialplan goes on with the next priority.\n\n" +
			"This application sets the following channel variables:\n" +
			"DIALSTATUS: the status of the call (CHANUNAVAIL, CONGESTION, NOANSWER, BUSY, ANSWER,\n" +
			"CANCEL, DONTCALL, TORTURE, INVALIDARGS).\n" +
			"DIALEDTIME: the time from dialing a channel until it is disconnected.\n" +
			"ANSWEREDTIME: the amount of time of the actual call.",
		Arguments: []DocArg{
			{"Technology/Resource", "Specification of the device(s) to dial. These must be in the format of\nTechnology/Resource, where Technology represents a particular channel driver,\nand Resource represents a resource available to that particular channel driver.\nSeveral devices are joined with an ampersand (&) and called at the same time."},
			{"timeout", "This argument is specified in seconds. If omitted, Dial waits until one of the\ncalled channels answers or all of them fail."},
			{"options", "Options that change how the call is placed; Asterism ignores those it does not know."},
			{"URL", "The optional URL will be sent to the called party if the channel driver supports it."},
		},
		SeeAlso: []string{"RetryDial", "SendDTMF", "Gosub"},
	},
	{
		Name:     "Echo",
		Synopsis: "Echo media, DTMF back to the calling party",
		Syntax:   "Echo()",
		Description: "Sends every voice and DTMF frame the caller sends straight back to the caller, until\n" +
			"the caller hangs up or presses '#'. Control frames are not echoed.\n\n" +
			"Echo does not answer the channel: put Answer() or Progress() before it.",
	},
	{
		Name:     "Gosub",
		Synopsis: "Jump to label, saving return address.",
		Syntax:   "Gosub([[context,]exten,]priority[(arg1[,...][,argN])])",
		Description: "Jumps to the label specified, saving the return address. The arguments are available in\n" +
			"the subroutine as ${ARG1} ... ${ARGn}, and their count as ${ARGC}.",
		Arguments: []DocArg{
			{"context", "The context of the subroutine; the current one when omitted."},
			{"exten", "The extension of the subroutine; the current one when omitted."},
			{"priority", "A priority number or label where the subroutine starts."},
		},
		SeeAlso: []string{"GosubIf", "Macro", "Goto", "Return", "StackPop"},
	},
	{
		Name:     "Goto",
		Synopsis: "Jump to a particular priority, extension, or context.",
		Syntax:   "Goto([[context,]extensions,]priority)",
		Description: "Moves the channel to another place in the dialplan: the dialplan goes on at the\n" +
			"given priority of the given extension and context. A missing context or extension means\n" +
			"the current one, so Goto(5) jumps within the extension being run.\n\n" +
			"Without a priority the application fails and the call is hung up. A destination that\n" +
			"does not exist sends the channel to the 'i' extension of its context, if there is one;\n" +
			"otherwise the channel hangs up (running the 'h' extension first, if any).",
		Arguments: []DocArg{
			{"context", "The context to jump to; the current one when omitted."},
			{"extensions", "The extension to jump to; the current one when omitted."},
			{"priority", "A priority number or label."},
		},
		SeeAlso: []string{"GotoIf", "GotoIfTime", "Gosub", "Macro"},
	},
	{
		Name:     "GotoIf",
		Synopsis: "Conditional goto.",
		Syntax:   "GotoIf(condition?[labeliftrue]:[labeliffalse])",
		Description: "Evaluates the condition and jumps, as Goto does, to the first destination when it is\n" +
			"true and to the second when it is false. When the chosen destination is empty, no jump\n" +
			"is made and the dialplan goes on with the next priority.",
		Arguments: []DocArg{
			{"condition", "An expression; it is true unless it is empty or 0."},
			{"destination", "labeliftrue: Continue at labeliftrue if the condition is true.\nTakes the form similar to Goto() of [[context,]extension,]priority.\nlabeliffalse: Continue at labeliffalse if the condition is false.\nTakes the form similar to Goto() of [[context,]extension,]priority."},
		},
		SeeAlso: []string{"Goto", "GotoIfTime", "GosubIf", "MacroIf"},
	},
	{
		Name:     "Hangup",
		Synopsis: "Hang up the calling channel.",
		Syntax:   "Hangup([causecode])",
		Description: "This application will hang up the calling channel, ending its dialplan. The h\n" +
			"extension, if the context has one, runs afterwards.",
		Arguments: []DocArg{
			{"causecode", "If a causecode is given the channel's hangup cause will be set to the given value,\nby number (16) or by name (NORMAL_CLEARING)."},
		},
		SeeAlso: []string{"Answer", "Busy", "Congestion"},
	},
	{
		Name:     "MusicOnHold",
		Synopsis: "Play Music On Hold indefinitely.",
		Syntax:   "MusicOnHold([class,[duration]])",
		Description: "Plays the music of the given class to the caller, for the given number of seconds or,\n" +
			"without a duration, until the caller hangs up. Without a class the channel's own\n" +
			"(CHANNEL(musicclass)) is played.\n\n" +
			"MusicOnHold does not answer the channel: put Answer() or Progress() before it.",
		Arguments: []DocArg{
			{"class", "The music class to play; the channel's default when omitted."},
			{"duration", "How many seconds to play; forever when omitted."},
		},
		SeeAlso: []string{"StartMusicOnHold", "StopMusicOnHold"},
	},
	{
		Name:        "NoOp",
		Synopsis:    "Do Nothing (No Operation).",
		Syntax:      "NoOp([text])",
		Description: "Does nothing. Its argument is substituted like any other, which makes it handy for\nlooking at the value of variables and functions in the log while debugging a dialplan.",
		Arguments: []DocArg{
			{"text", "Any text provided can be viewed at the Asterisk CLI."},
		},
		SeeAlso: []string{"Verbose", "Log"},
	},
	{
		Name:        "RaiseException",
		Synopsis:    "Handle an exceptional condition.",
		Syntax:      "RaiseException(reason)",
		Description: "Sends the channel to the e extension of its context, setting what EXCEPTION(reason),\nEXCEPTION(context), EXCEPTION(exten) and EXCEPTION(priority) read. With no e extension\nthe dialplan ends. The pbx raises ABSOLUTETIMEOUT, RESPONSETIMEOUT and INVALID itself when\nthe context has no T, t or i extension.",
		Arguments: []DocArg{
			{"reason", "The reason EXCEPTION(reason) will give."},
		},
		SeeAlso: []string{"Goto"},
	},
	{
		Name:     "Playback",
		Synopsis: "Play a file.",
		Syntax:   "Playback(filename[&filename2[&...]],[options])",
		Description: "Plays the files, named without their extension, one after the other. Unless an option\n" +
			"says otherwise the channel is answered first. A file that cannot be found ends the\n" +
			"playback with a failure.\n\n" +
			"This application sets the following channel variable upon completion:\n" +
			"PLAYBACKSTATUS: The status of the playback attempt as a text string (SUCCESS, FAILED).",
		Arguments: []DocArg{
			{"filenames", "filename\nfilename2: The files to play, one after the other."},
			{"options", "Comma separated list of options\nskip: Do not play if not answered\nnoanswer: Playback without answering, otherwise the channel will be answered before\nthe sound is played."},
		},
		SeeAlso: []string{"Background", "ControlPlayback", "WaitExten"},
	},
	{
		Name:     "Playtones",
		Synopsis: "Play a tone list.",
		Syntax:   "Playtones(arg)",
		Description: "Plays a tone list. Execution will continue with the next step in the dialplan\n" +
			"immediately while the tones continue to play.\n\n" +
			"See the sample indications.conf for a description of the specification of a tonelist.",
		Arguments: []DocArg{
			{"arg", "Arg is either the tone name defined in the indications.conf configuration file, or\na directly specified list of frequencies and durations (440+480/2000,0/4000)."},
		},
		SeeAlso: []string{"StopPlaytones"},
	},
	{
		Name:        "Progress",
		Synopsis:    "Indicate progress.",
		Syntax:      "Progress()",
		Description: "This application will request that in-band progress information be provided to the\ncalling channel.",
		SeeAlso:     []string{"Busy", "Congestion", "Ringing", "Playtones"},
	},
	{
		Name:     "Read",
		Synopsis: "Read a variable.",
		Syntax:   "Read(variable,[filename[&filename2[&...]],[maxdigits,[options,[attempts,[timeout]]]]])",
		Description: "Plays the prompts, if any, then collects digits from the caller until '#', the digit\n" +
			"limit or the timeout, and stores them in the variable.\n\n" +
			"This application sets the following channel variable upon completion:\n" +
			"READSTATUS: This is the status of the read operation (OK, ERROR, HANGUP, INTERRUPTED,\nSKIPPED, TIMEOUT).",
		Arguments: []DocArg{
			{"variable", "The input digits will be stored in the given variable name."},
			{"filenames", "The files to play before reading digits or tone with option i."},
			{"maxdigits", "The most digits to read: reading stops there without waiting for '#'. 0, the default,\nor less means no limit (only '#' or the timeout ends the input); at most 255."},
			{"options", "s: to return immediately if the line is not up.\ni: to play filename as an indication tone from your indications.conf.\nn: to read digits even if the line is not up."},
			{"attempts", "If greater than 1, that many attempts will be made in the event no data is entered."},
			{"timeout", "The number of seconds to wait for a digit response. If greater than 0, that value will\noverride the default timeout. Can be floating point."},
		},
		SeeAlso: []string{"Playback", "ReadExten", "ReadDigits"},
	},
	{
		Name:        "Return",
		Synopsis:    "Return from gosub routine.",
		Syntax:      "Return([value])",
		Description: "Jumps to the last label on the stack, removing it. The return value, if any, is saved in\nthe channel variable GOSUB_RETVAL.",
		Arguments: []DocArg{
			{"value", "Return value."},
		},
		SeeAlso: []string{"Gosub", "StackPop"},
	},
	{
		Name:        "Ringing",
		Synopsis:    "Indicate ringing tone.",
		Syntax:      "Ringing()",
		Description: "This application will request that the channel indicate a ringing tone to the user.",
		SeeAlso:     []string{"Busy", "Congestion", "Progress", "Playtones"},
	},
	{
		Name:        "SayDigits",
		Synopsis:    "Say Digits.",
		Syntax:      "SayDigits(digits)",
		Description: "This application will play the sounds that correspond to each of the digits, one after\nthe other, in the channel's language (digits/1, digits/2 ...). Characters other than\ndigits, '*' and '#' are skipped.",
		Arguments: []DocArg{
			{"digits", "The digits to say."},
		},
		SeeAlso: []string{"SayAlpha", "SayNumber", "SayPhonetic"},
	},
	{
		Name:        "SayNumber",
		Synopsis:    "Say Number.",
		Syntax:      "SayNumber(digits,[gender])",
		Description: "This application will play the sounds that correspond to the given number (\"one hundred\ntwenty three\" for 123). If the channel variable SAY_DTMF_INTERRUPT is set to 'true',\nthis application will stop at a DTMF digit and continue the dialplan.",
		Arguments: []DocArg{
			{"digits", "The number to say, an integer."},
			{"gender", "Depending on the language, f (feminine), m (masculine), c (common) or n (neuter)."},
		},
		SeeAlso: []string{"SayAlpha", "SayDigits", "SayPhonetic"},
	},
	{
		Name:     "Set",
		Synopsis: "Set channel variable or function value.",
		Syntax:   "Set(name=value)",
		Description: "Sets a channel variable, or writes a dialplan function such as CALLERID(num).\n" +
			"A name starting with _ is copied to the channels this one creates; one starting with __\n" +
			"is copied to them and, in turn, to the channels they create.",
		Arguments: []DocArg{
			{"name", "A variable name, or a function call such as CALLERID(num)."},
			{"value", "The value; everything after the first '='."},
		},
		SeeAlso: []string{"MSet", "GLOBAL", "SET", "ENV"},
	},
	{
		Name:        "StopPlaytones",
		Synopsis:    "Stop playing a tone list.",
		Syntax:      "StopPlaytones()",
		Description: "Stop playing a tone list, initiated by PlayTones().",
		SeeAlso:     []string{"Playtones"},
	},
	{
		Name:     "UserEvent",
		Synopsis: "Send an arbitrary user-defined event to parties interested in a channel (AMI users and relevant res_stasis applications).",
		Syntax:   "UserEvent(eventname,[body])",
		Description: "Publishes an event named by the first argument to the manager sessions that read the\n" +
			"user class. The body, a comma-separated list of key:value pairs, becomes the headers of\n" +
			"the event, one per pair, after the channel's own:\n" +
			"    Event: UserEvent\n" +
			"    UserEvent: <eventname>\n" +
			"    <key>: <value>\n" +
			"Without a body the event carries only the channel and the UserEvent header.",
		Arguments: []DocArg{
			{"eventname", "The name of the event (the UserEvent header)."},
			{"body", "Headers of the event, key:value pairs separated by commas."},
		},
		SeeAlso: []string{"UserEvent"},
	},
	{
		Name:        "Verbose",
		Synopsis:    "Send arbitrary text to verbose output.",
		Syntax:      "Verbose([level,]message)",
		Description: "Sends an arbitrary text message to verbose output.",
		Arguments: []DocArg{
			{"level", "Must be an integer value. If not specified, defaults to 0."},
			{"message", "Output text message."},
		},
		SeeAlso: []string{"NoOp", "Log"},
	},
	{
		Name:        "Wait",
		Synopsis:    "Waits for some time.",
		Syntax:      "Wait(seconds)",
		Description: "This application waits for a specified number of seconds.",
		Arguments: []DocArg{
			{"seconds", "Can be passed with fractions of a second. For example, 1.5 will ask the application\nto wait for 1.5 seconds."},
		},
		SeeAlso: []string{"WaitExten", "WaitDigit"},
	},
	{
		Name:     "WaitExten",
		Synopsis: "Waits for an extension to be entered.",
		Syntax:   "WaitExten([seconds,[options]])",
		Description: "This application waits for the user to enter a new extension for a specified number of\n" +
			"seconds.\n\n" +
			"Warning: Use of the application WaitExten within a macro will not function as expected.",
		Arguments: []DocArg{
			{"seconds", "Can be passed with fractions of a second. For example, 1.5 will ask the application\nto wait for 1.5 seconds. The TIMEOUT(response) of the channel applies when omitted."},
			{"options", "m: Provide music on hold to the caller while waiting for an extension."},
		},
		SeeAlso: []string{"Background", "TIMEOUT"},
	},
}
