package imap

import "testing"

func TestMailboxNameEncoding(t *testing.T) {
	tests := []struct {
		name, utf8, mutf7 string
	}{
		{"ascii", "INBOX/Sent Items", "INBOX/Sent Items"},
		{"ampersand", "Tom & Jerry", "Tom &- Jerry"},
		{"only_ampersands", "&&", "&-&-"},
		{"rfc3501_example", "~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
		{"latin1", "Entwürfe", "Entw&APw-rfe"},
		{"run_with_space_inside_is_two_runs", "é é", "&AOk- &AOk-"},
		{"two_characters_in_one_run", "éé", "&AOkA6Q-"},
		{"outside_the_bmp", "mail 😀", "mail &2D3eAA-"},
		{"control_character", "a\tb", "a&AAk-b"},
		{"delete_character", "a\x7fb", "a&AH8-b"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EncodeMailboxName(tt.utf8); got != tt.mutf7 {
				t.Errorf("EncodeMailboxName(%q) = %q, want %q", tt.utf8, got, tt.mutf7)
			}
			got, err := DecodeMailboxName(tt.mutf7)
			if err != nil || got != tt.utf8 {
				t.Errorf("DecodeMailboxName(%q) = %q, %v, want %q", tt.mutf7, got, err, tt.utf8)
			}
		})
	}
}

func TestDecodeMailboxNameRefuses(t *testing.T) {
	tests := []struct {
		name, mutf7 string
		want        error
	}{
		{"unterminated", "a&AOk", errMUTF7Unterminated},
		{"lone_ampersand", "a&", errMUTF7Unterminated},
		{"bad_base64_character", "&AO/-", errMUTF7Base64},
		{"standard_base64_slash", "&U/BTFw-", errMUTF7Base64},
		{"too_short_for_a_unit", "&AO-", errMUTF7Base64},
		{"extra_character", "&AOkA-", errMUTF7Base64},
		{"nonzero_padding_bits", "&AOl-", errMUTF7Base64},
		{"encoded_printable_ascii", "&AGE-", errMUTF7Printable},
		{"encoded_ampersand", "&ACY-", errMUTF7Printable},
		{"encoded_space", "&ACA-", errMUTF7Printable},
		{"adjacent_sequences", "&AOk-&AOk-", errMUTF7Adjacent},
		{"unpaired_high_surrogate", "&2D0-", errMUTF7Surrogate},
		{"unpaired_low_surrogate", "&3gA-", errMUTF7Surrogate},
		{"high_surrogate_then_letter", "&2D0A6Q-", errMUTF7Surrogate},
		{"raw_8bit", "Entwürfe", errMUTF7Character},
		{"raw_control_character", "a\tb", errMUTF7Character},
		{"raw_delete", "a\x7f", errMUTF7Character},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeMailboxName(tt.mutf7)
			if err != tt.want {
				t.Errorf("DecodeMailboxName(%q) = %q, %v, want %v", tt.mutf7, got, err, tt.want)
			}
		})
	}
}
