['it\'s', "say \"hi\"", '\n\t\r\b\f\v\0', '\x41\x7a', '\u00e9', '\ud83d\ude00', '\u{1F600}', '\ud83d x', '\d+\.\w', 'a\
b']