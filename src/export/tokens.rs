//! Markers for values an export cannot know: the documents are rendered with them in
//! place, and each writer turns every marker into its own reference. The brackets
//! (U+27E6, U+27E7) are refused nowhere but written by no one, so a marker is never text a
//! profile put there.

const OPEN: char = '\u{27e6}';
const CLOSE: char = '\u{27e7}';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    AccountId,
    Partition,
    ExecutionRoleArn,
    TaskRoleArn,
    SecretArn,
    SecurityGroupId,
    /// `ENABLED` or `DISABLED`, asked when the profile says `auto`.
    AssignPublicIp,
}

impl Token {
    const ALL: [Token; 7] = [
        Token::AccountId,
        Token::Partition,
        Token::ExecutionRoleArn,
        Token::TaskRoleArn,
        Token::SecretArn,
        Token::SecurityGroupId,
        Token::AssignPublicIp,
    ];

    fn name(self) -> &'static str {
        match self {
            Token::AccountId => "AccountId",
            Token::Partition => "Partition",
            Token::ExecutionRoleArn => "ExecutionRoleArn",
            Token::TaskRoleArn => "TaskRoleArn",
            Token::SecretArn => "SecretArn",
            Token::SecurityGroupId => "SecurityGroupId",
            Token::AssignPublicIp => "AssignPublicIp",
        }
    }

    /// The marker rendered in place of the value.
    pub fn marker(self) -> String {
        format!("{OPEN}{}{CLOSE}", self.name())
    }
}

/// A rendered string, cut into literal text and tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Token(Token),
}

pub fn pieces(s: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len_utf8()..];
        let token = after.find(CLOSE).and_then(|end| {
            Token::ALL
                .into_iter()
                .find(|t| t.name() == &after[..end])
                .map(|t| (t, end))
        });
        match token {
            Some((t, end)) => {
                if start > 0 {
                    out.push(Piece::Text(&rest[..start]));
                }
                out.push(Piece::Token(t));
                rest = &after[end + CLOSE.len_utf8()..];
            }
            None => {
                // A lone bracket is text.
                let upto = start + OPEN.len_utf8();
                out.push(Piece::Text(&rest[..upto]));
                rest = &rest[upto..];
            }
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// The token a string is, when it is nothing else.
pub fn only_token(s: &str) -> Option<Token> {
    match pieces(s).as_slice() {
        [Piece::Token(t)] => Some(*t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_is_cut_into_text_and_tokens() {
        let s = format!(
            "arn:{}:iam::{}:role/x",
            Token::Partition.marker(),
            Token::AccountId.marker()
        );
        assert_eq!(
            pieces(&s),
            vec![
                Piece::Text("arn:"),
                Piece::Token(Token::Partition),
                Piece::Text(":iam::"),
                Piece::Token(Token::AccountId),
                Piece::Text(":role/x"),
            ]
        );
        assert_eq!(only_token(&s), None);
        assert_eq!(
            only_token(&Token::SecretArn.marker()),
            Some(Token::SecretArn)
        );
    }

    #[test]
    fn brackets_that_are_no_token_stay_text() {
        let s = "a\u{27e6}Nope\u{27e7}b\u{27e6}";
        let text: String = pieces(s)
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) => t.to_owned(),
                Piece::Token(_) => panic!("no token in {s}"),
            })
            .collect();
        assert_eq!(text, s);
    }
}
