package voicemail

import "github.com/asterism-pbx/asterism/pbx"

// appDocs documents the applications for "core show application", in
// Asterisk 20's synopses, written for what Asterism does.
var appDocs = []pbx.Doc{
	{
		Name:     "VoiceMail",
		Synopsis: "Leave a Voicemail message.",
		Syntax:   "VoiceMail(mailbox1[&mailbox2[&...]],[options])",
		Description: "This application allows the calling party to leave a message for the specified list of mailboxes. " +
			"It plays the mailbox's greeting (the temporary one if recorded, else the busy or unavailable one the options ask for), " +
			"beeps, and records the caller until '#', silence, the maximum length or hangup. The message is written to the spool " +
			"as Asterisk's file storage does (msgNNNN.txt and msgNNNN.wav), complete or not at all.\n\n" +
			"This application will set the following channel variable upon completion:\n" +
			"VMSTATUS - This indicates the status of the execution of the VoiceMail application: SUCCESS, USEREXIT or FAILED.\n" +
			"VM_MESSAGEFILE - The path of the message left, without extension.",
		Arguments: []pbx.DocArg{
			{Name: "mailbox", Text: "mailbox[@context]: the mailbox (context default if none). Several may be given, separated by '&'."},
			{Name: "options", Text: "b: play the busy greeting.\n" +
				"s: skip the instructions.\n" +
				"S: skip the instructions if a greeting was played.\n" +
				"u: play the unavailable greeting.\n" +
				"U: mark the message urgent (it goes to the Urgent folder).\n" +
				"P: mark the message priority.\n" +
				"t(x): play x instead of the beep; t() plays none."},
		},
		SeeAlso: []string{"VoiceMailMain", "MailboxExists"},
	},
	{
		Name:     "VoiceMailMain",
		Synopsis: "Check Voicemail messages.",
		Syntax:   "VoiceMailMain([mailbox][@context],[options])",
		Description: "This application allows the calling party to check voicemail messages. A specific mailbox, and optional " +
			"corresponding context, may be specified; otherwise the caller is asked for the mailbox. The password is then " +
			"asked for unless the s option is given.\n\n" +
			"Keys: 1 play the first message, 4 previous, 5 repeat, 6 next, 7 delete or undelete, 9 then 0-4 save to a folder, " +
			"2 then 0-4 change folder, # exit. Heard new messages move to Old when the mailbox is closed.",
		Arguments: []pbx.DocArg{
			{Name: "mailbox", Text: "The mailbox to log in to, mailbox[@context]."},
			{Name: "options", Text: "s: skip the password check.\n" +
				"a(#): open folder # first (0 new, 1 old, 2 work, 3 family, 4 friends)."},
		},
		SeeAlso: []string{"VoiceMail", "MailboxExists"},
	},
	{
		Name:     "MailboxExists",
		Synopsis: "Check to see if Voicemail mailbox exists.",
		Syntax:   "MailboxExists(mailbox[@context],[options])",
		Description: "Check to see if the specified mailbox exists. If no voicemail context is specified, the default " +
			"context will be used.\n\nThis application will set the following channel variable upon completion:\n" +
			"VMBOXEXISTSSTATUS - This will contain the status of the execution of the MailboxExists application: SUCCESS or FAILED.\n\n" +
			"This application is deprecated in Asterisk; use VM_INFO(mailbox,exists) instead.",
		Arguments: []pbx.DocArg{
			{Name: "mailbox", Text: "mailbox[@context]"},
			{Name: "options", Text: "None options."},
		},
		SeeAlso: []string{"VoiceMail", "VoiceMailMain"},
	},
}
