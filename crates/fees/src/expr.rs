//! The formula language of the bylaw: arithmetic and comparisons over named inputs and lookup
//! tables, evaluated on exact decimals.
//!
//! # Why a small evaluator of our own rather than rhai
//!
//! The bylaw needs arithmetic (`+ − × ÷`, parentheses), comparisons joined by `and`/`or`/`not`,
//! `min`, `max`, `floor`, `ceil`, `if`, and table lookups, nothing more. A hand-written evaluator
//! for exactly that is both simpler and safer than embedding a scripting language:
//!
//! - **Termination by construction.** There are no loops, assignments, closures or recursion, so
//!   evaluation is linear in the size of the formula; a script engine needs operation limits to
//!   stop a runaway loop, this language cannot express one. Source length and nesting depth are
//!   bounded at load time.
//! - **Static checking at load time.** Every input name, table and function is resolved, and
//!   every sub-expression typed (number, text, condition), when the bylaw is read, so a typo in
//!   a formula is an error naming the head on the day the bylaw is loaded, never on the day a
//!   citizen's invoice is computed. With rhai this needs the unstable `internals` AST API.
//! - **One tree for the number and its explanation.** The invoice's formula and its arithmetic
//!   with numbers substituted are rendered from the same tree that produced the amount, so they
//!   cannot disagree (the zoning crate's `explain` module follows the same rule).
//! - **Exact, checked arithmetic everywhere.** Values are [`Decimal`]; every operation is
//!   checked, so overflow and division by zero are errors, never a panic, a wrap or a silent
//!   zero. Binary floating point does not exist in the language.
//! - **No large dependency** to build on a two-core machine, audit and keep up to date.
//!
//! Decimal arithmetic is exact whenever the result fits in 28 significant digits; a quotient
//! that does not terminate (`1 ÷ 3`) is carried to 28 digits, far below the 1,000-Rial rounding
//! of the invoice.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;

/// Longest formula or condition accepted, in characters.
pub const MAX_SOURCE_CHARS: usize = 1_000;
/// Deepest nesting of parentheses, signs and function arguments accepted.
pub const MAX_DEPTH: usize = 32;

/// Why a formula could not be evaluated for a given set of inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("the arithmetic overflows")]
    Overflow,
    #[error("division by zero")]
    DivisionByZero,
    #[error("input `{0}` was not given")]
    MissingInput(String),
    #[error("table `{table}` has no entry for {key}")]
    NoTableEntry { table: String, key: String },
}

/// The type of a named input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    Number,
    Text,
}

/// What names a formula may use: inputs with their types, names that exist but not here (with
/// the reason), and the head's tables. Compiling records how each table is keyed.
pub(crate) struct Scope {
    pub inputs: BTreeMap<String, Type>,
    pub unavailable: BTreeMap<String, &'static str>,
    /// Table name → the type of the key it is looked up with (`None` until first used).
    pub tables: BTreeMap<String, Option<Type>>,
}

/// Values the evaluator reads. Names and tables were checked at compile time, so an
/// implementation only fails for values absent from this particular assessment.
pub(crate) trait Env {
    fn number(&self, name: &str) -> Result<Decimal, EvalError>;
    fn text(&self, name: &str) -> Result<String, EvalError>;
    fn lookup_number(&self, table: &str, key: Decimal) -> Result<Decimal, EvalError>;
    fn lookup_text(&self, table: &str, key: &str) -> Result<Decimal, EvalError>;
}

/// The inputs and table lookups an evaluation used, in order of first use, with their values.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    pub used: Vec<(String, String)>,
}

impl Trace {
    fn record(&mut self, name: String, value: String) {
        if !self.used.iter().any(|(n, _)| *n == name) {
            self.used.push((name, value));
        }
    }
}

/// Renders a decimal without trailing zeros, as in formulas and arithmetic.
pub(crate) fn fmt_decimal(value: Decimal) -> String {
    value.normalize().to_string()
}

// ---------------------------------------------------------------------------------------------
// Lexing and parsing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(Decimal),
    Ident(String),
    Str(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while chars.get(i).is_some_and(|d| d.is_ascii_digit() || *d == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let value =
                text.parse::<Decimal>().map_err(|_| format!("`{text}` is not a number (column {col})"))?;
            out.push((Tok::Num(value), col));
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while chars.get(i).is_some_and(|d| d.is_ascii_alphanumeric() || *d == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let tok = match word.as_str() {
                "and" => Tok::Op("and"),
                "or" => Tok::Op("or"),
                "not" => Tok::Op("not"),
                _ => Tok::Ident(word),
            };
            out.push((tok, col));
            continue;
        }
        if c == '"' {
            let start = i + 1;
            i += 1;
            while chars.get(i).is_some_and(|d| *d != '"') {
                i += 1;
            }
            if i >= chars.len() {
                return Err(format!("unterminated text starting at column {col}"));
            }
            out.push((Tok::Str(chars[start..i].iter().collect()), col));
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (tok, len) = match (c, next) {
            ('<', Some('=')) => (Tok::Op("<="), 2),
            ('>', Some('=')) => (Tok::Op(">="), 2),
            ('=', Some('=')) => (Tok::Op("=="), 2),
            ('!', Some('=')) => (Tok::Op("!="), 2),
            ('<', _) => (Tok::Op("<"), 1),
            ('>', _) => (Tok::Op(">"), 1),
            ('≤', _) => (Tok::Op("<="), 1),
            ('≥', _) => (Tok::Op(">="), 1),
            ('≠', _) => (Tok::Op("!="), 1),
            ('+', _) => (Tok::Op("+"), 1),
            ('-' | '−', _) => (Tok::Op("-"), 1),
            ('*' | '×', _) => (Tok::Op("*"), 1),
            ('/' | '÷', _) => (Tok::Op("/"), 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            (',', _) => (Tok::Comma, 1),
            ('=', _) => return Err(format!("use `==` to compare (column {col})")),
            _ => return Err(format!("unexpected character `{c}` (column {col})")),
        };
        out.push((tok, col));
        i += len;
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Ast {
    Num(Decimal),
    Text(String),
    Name(String, usize),
    Call(String, Vec<Ast>, usize),
    Group(Box<Ast>),
    Neg(Box<Ast>),
    Not(Box<Ast>),
    Bin(&'static str, Box<Ast>, Box<Ast>),
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(_, c)| *c)
    }

    fn eat_op(&mut self, ops: &[&'static str]) -> Option<&'static str> {
        match self.peek() {
            Some(Tok::Op(op)) if ops.contains(op) => {
                let op = *op;
                self.pos += 1;
                Some(op)
            }
            _ => None,
        }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} deep (column {})", self.col()));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Ast, String> {
        self.enter()?;
        let mut left = self.and()?;
        while let Some(op) = self.eat_op(&["or"]) {
            left = Ast::Bin(op, Box::new(left), Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Ast, String> {
        let mut left = self.not()?;
        while let Some(op) = self.eat_op(&["and"]) {
            left = Ast::Bin(op, Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Ast, String> {
        if self.eat_op(&["not"]).is_some() {
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Ast::Not(Box::new(inner)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Ast, String> {
        let left = self.sum()?;
        let ops = ["<", "<=", ">", ">=", "==", "!="];
        match self.eat_op(&ops) {
            Some(op) => {
                let right = self.sum()?;
                if self.eat_op(&ops).is_some() {
                    return Err(format!(
                        "comparisons cannot be chained; join them with `and` (column {})",
                        self.col()
                    ));
                }
                Ok(Ast::Bin(op, Box::new(left), Box::new(right)))
            }
            None => Ok(left),
        }
    }

    fn sum(&mut self) -> Result<Ast, String> {
        let mut left = self.term()?;
        while let Some(op) = self.eat_op(&["+", "-"]) {
            left = Ast::Bin(op, Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Ast, String> {
        let mut left = self.unary()?;
        while let Some(op) = self.eat_op(&["*", "/"]) {
            left = Ast::Bin(op, Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Ast, String> {
        if self.eat_op(&["-"]).is_some() {
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Ast::Neg(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Ast, String> {
        let col = self.col();
        let Some((tok, _)) = self.toks.get(self.pos).cloned() else {
            return Err("the formula ends too early".to_owned());
        };
        self.pos += 1;
        match tok {
            Tok::Num(value) => Ok(Ast::Num(value)),
            Tok::Str(text) => Ok(Ast::Text(text)),
            Tok::Ident(name) => {
                if self.peek() != Some(&Tok::LParen) {
                    return Ok(Ast::Name(name, col));
                }
                self.pos += 1;
                let mut args = Vec::new();
                if self.peek() == Some(&Tok::RParen) {
                    self.pos += 1;
                    return Ok(Ast::Call(name, args, col));
                }
                loop {
                    args.push(self.expr()?);
                    match self.peek() {
                        Some(Tok::Comma) => self.pos += 1,
                        Some(Tok::RParen) => {
                            self.pos += 1;
                            return Ok(Ast::Call(name, args, col));
                        }
                        _ => return Err(format!("expected `,` or `)` (column {})", self.col())),
                    }
                }
            }
            Tok::LParen => {
                let inner = self.expr()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(format!("expected `)` (column {})", self.col()));
                }
                self.pos += 1;
                Ok(Ast::Group(Box::new(inner)))
            }
            Tok::Op(op) => Err(format!("unexpected `{op}` (column {col})")),
            Tok::RParen => Err(format!("unexpected `)` (column {col})")),
            Tok::Comma => Err(format!("unexpected `,` (column {col})")),
        }
    }
}

fn parse(src: &str) -> Result<Ast, String> {
    let chars = src.chars().count();
    if chars > MAX_SOURCE_CHARS {
        return Err(format!("longer than {MAX_SOURCE_CHARS} characters"));
    }
    if src.trim().is_empty() {
        return Err("empty".to_owned());
    }
    let mut parser = Parser { toks: lex(src)?, pos: 0, depth: 0, end: chars + 1 };
    let ast = parser.expr()?;
    if parser.pos < parser.toks.len() {
        return Err(format!("unexpected text after the end of the formula (column {})", parser.col()));
    }
    Ok(ast)
}

// ---------------------------------------------------------------------------------------------
// Typed trees

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    fn holds<T: PartialOrd>(self, left: &T, right: &T) -> bool {
        match self {
            CmpOp::Lt => left < right,
            CmpOp::Le => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Ge => left >= right,
            CmpOp::Eq => left == right,
            CmpOp::Ne => left != right,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "≤",
            CmpOp::Gt => ">",
            CmpOp::Ge => "≥",
            CmpOp::Eq => "=",
            CmpOp::Ne => "≠",
        }
    }
}

/// A numeric expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Num {
    Lit(Decimal),
    Input(String),
    LookupByNumber(String, Box<Num>),
    LookupByText(String, Text),
    Neg(Box<Num>),
    Arith(ArithOp, Box<Num>, Box<Num>),
    Group(Box<Num>),
    Min(Vec<Num>),
    Max(Vec<Num>),
    Floor(Box<Num>),
    Ceil(Box<Num>),
    If(Box<Cond>, Box<Num>, Box<Num>),
}

/// A text expression: only inputs and literals, used in comparisons and table keys.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Text {
    Lit(String),
    Input(String),
}

/// A condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    Cmp(CmpOp, Box<Num>, Box<Num>),
    TextCmp(CmpOp, Text, Text),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Group(Box<Cond>),
}

const BUILTINS: [&str; 5] = ["min", "max", "floor", "ceil", "if"];

/// Whether `name` is one of the language's own functions or words.
pub(crate) fn is_reserved(name: &str) -> bool {
    BUILTINS.contains(&name) || matches!(name, "and" | "or" | "not")
}

/// Parses and type-checks a numeric formula.
pub(crate) fn compile_number(src: &str, scope: &mut Scope) -> Result<Num, String> {
    let ast = parse(src)?;
    scope.num(&ast)
}

/// Parses and type-checks a condition.
pub(crate) fn compile_condition(src: &str, scope: &mut Scope) -> Result<Cond, String> {
    let ast = parse(src)?;
    scope.cond(&ast)
}

impl Scope {
    fn name_type(&self, name: &str, col: usize) -> Result<Type, String> {
        if let Some(t) = self.inputs.get(name) {
            return Ok(*t);
        }
        if let Some(reason) = self.unavailable.get(name) {
            return Err(format!("`{name}` {reason} (column {col})"));
        }
        Err(format!("unknown input `{name}` (column {col})"))
    }

    fn is_text(&self, ast: &Ast) -> bool {
        match ast {
            Ast::Text(_) => true,
            Ast::Name(name, _) => self.inputs.get(name) == Some(&Type::Text),
            Ast::Group(inner) => self.is_text(inner),
            _ => false,
        }
    }

    fn num(&mut self, ast: &Ast) -> Result<Num, String> {
        match ast {
            Ast::Num(value) => Ok(Num::Lit(*value)),
            Ast::Text(text) => Err(format!("text \"{text}\" where a number is expected")),
            Ast::Name(name, col) => match self.name_type(name, *col)? {
                Type::Number => Ok(Num::Input(name.clone())),
                Type::Text => Err(format!("`{name}` is text, not a number (column {col})")),
            },
            Ast::Call(name, args, col) => self.call(name, args, *col),
            Ast::Group(inner) => Ok(Num::Group(Box::new(self.num(inner)?))),
            Ast::Neg(inner) => Ok(Num::Neg(Box::new(self.num(inner)?))),
            Ast::Bin(op, left, right) => {
                let op = match *op {
                    "+" => ArithOp::Add,
                    "-" => ArithOp::Sub,
                    "*" => ArithOp::Mul,
                    "/" => ArithOp::Div,
                    other => return Err(format!("`{other}` gives a condition where a number is expected")),
                };
                Ok(Num::Arith(op, Box::new(self.num(left)?), Box::new(self.num(right)?)))
            }
            Ast::Not(_) => Err("`not` gives a condition where a number is expected".to_owned()),
        }
    }

    fn call(&mut self, name: &str, args: &[Ast], col: usize) -> Result<Num, String> {
        let arity = |wanted: &str, ok: bool| {
            if ok { Ok(()) } else { Err(format!("`{name}` takes {wanted} (column {col})")) }
        };
        match name {
            "min" | "max" => {
                arity("two or more numbers", args.len() >= 2)?;
                let values = args.iter().map(|a| self.num(a)).collect::<Result<Vec<_>, _>>()?;
                Ok(if name == "min" { Num::Min(values) } else { Num::Max(values) })
            }
            "floor" | "ceil" => {
                arity("one number", args.len() == 1)?;
                let value = Box::new(self.num(&args[0])?);
                Ok(if name == "floor" { Num::Floor(value) } else { Num::Ceil(value) })
            }
            "if" => {
                arity("a condition and two numbers", args.len() == 3)?;
                Ok(Num::If(
                    Box::new(self.cond(&args[0])?),
                    Box::new(self.num(&args[1])?),
                    Box::new(self.num(&args[2])?),
                ))
            }
            _ => {
                let Some(used) = self.tables.get(name).copied() else {
                    return Err(format!("unknown function or table `{name}` (column {col})"));
                };
                arity("one key", args.len() == 1)?;
                let key_type = if self.is_text(&args[0]) { Type::Text } else { Type::Number };
                if used.is_some_and(|t| t != key_type) {
                    return Err(format!(
                        "table `{name}` is looked up both by number and by text (column {col})"
                    ));
                }
                self.tables.insert(name.to_owned(), Some(key_type));
                match key_type {
                    Type::Number => Ok(Num::LookupByNumber(name.to_owned(), Box::new(self.num(&args[0])?))),
                    Type::Text => Ok(Num::LookupByText(name.to_owned(), self.text(&args[0])?)),
                }
            }
        }
    }

    fn text(&self, ast: &Ast) -> Result<Text, String> {
        match ast {
            Ast::Text(text) => Ok(Text::Lit(text.clone())),
            Ast::Name(name, col) => match self.name_type(name, *col)? {
                Type::Text => Ok(Text::Input(name.clone())),
                Type::Number => Err(format!("`{name}` is a number, not text (column {col})")),
            },
            Ast::Group(inner) => self.text(inner),
            _ => Err("only a text input or a quoted text can be compared with text".to_owned()),
        }
    }

    fn cond(&mut self, ast: &Ast) -> Result<Cond, String> {
        match ast {
            Ast::Bin(op @ ("and" | "or"), left, right) => {
                let (left, right) = (Box::new(self.cond(left)?), Box::new(self.cond(right)?));
                Ok(if *op == "and" { Cond::And(left, right) } else { Cond::Or(left, right) })
            }
            Ast::Bin(op @ ("<" | "<=" | ">" | ">=" | "==" | "!="), left, right) => {
                let cmp = match *op {
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    ">=" => CmpOp::Ge,
                    "==" => CmpOp::Eq,
                    _ => CmpOp::Ne,
                };
                if self.is_text(left) || self.is_text(right) {
                    if !matches!(cmp, CmpOp::Eq | CmpOp::Ne) {
                        return Err(format!("text can only be compared with `==` or `!=`, not `{op}`"));
                    }
                    return Ok(Cond::TextCmp(cmp, self.text(left)?, self.text(right)?));
                }
                Ok(Cond::Cmp(cmp, Box::new(self.num(left)?), Box::new(self.num(right)?)))
            }
            Ast::Not(inner) => Ok(Cond::Not(Box::new(self.cond(inner)?))),
            Ast::Group(inner) => Ok(Cond::Group(Box::new(self.cond(inner)?))),
            _ => Err("a number where a condition is expected (compare it, e.g. `x > 0`)".to_owned()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation: every value comes with the arithmetic that produced it

impl Num {
    /// The value and the formula with numbers substituted.
    pub(crate) fn eval(&self, env: &dyn Env, trace: &mut Trace) -> Result<(Decimal, String), EvalError> {
        match self {
            Num::Lit(value) => Ok((*value, fmt_decimal(*value))),
            Num::Input(name) => {
                let value = env.number(name)?;
                trace.record(name.clone(), fmt_decimal(value));
                Ok((value, fmt_decimal(value)))
            }
            Num::LookupByNumber(table, key) => {
                let (key_value, _) = key.eval(env, trace)?;
                let value = env.lookup_number(table, key_value)?;
                trace.record(format!("{table}({key})"), fmt_decimal(value));
                Ok((value, fmt_decimal(value)))
            }
            Num::LookupByText(table, key) => {
                let key_value = key.eval(env, trace)?;
                let value = env.lookup_text(table, &key_value)?;
                trace.record(format!("{table}({key})"), fmt_decimal(value));
                Ok((value, fmt_decimal(value)))
            }
            Num::Neg(inner) => {
                let (value, text) = inner.eval(env, trace)?;
                Ok((-value, format!("−{text}")))
            }
            Num::Arith(op, left, right) => {
                let (a, left_text) = left.eval(env, trace)?;
                let (b, right_text) = right.eval(env, trace)?;
                let value = match op {
                    ArithOp::Add => a.checked_add(b),
                    ArithOp::Sub => a.checked_sub(b),
                    ArithOp::Mul => a.checked_mul(b),
                    ArithOp::Div if b.is_zero() => return Err(EvalError::DivisionByZero),
                    ArithOp::Div => a.checked_div(b),
                }
                .ok_or(EvalError::Overflow)?;
                Ok((value, format!("{left_text} {} {right_text}", arith_symbol(*op))))
            }
            Num::Group(inner) => {
                let (value, text) = inner.eval(env, trace)?;
                Ok((value, format!("({text})")))
            }
            Num::Min(args) | Num::Max(args) => {
                let mut best: Option<Decimal> = None;
                let mut texts = Vec::with_capacity(args.len());
                for arg in args {
                    let (value, text) = arg.eval(env, trace)?;
                    texts.push(text);
                    best = Some(match (best, self) {
                        (None, _) => value,
                        (Some(b), Num::Min(_)) => b.min(value),
                        (Some(b), _) => b.max(value),
                    });
                }
                let name = if matches!(self, Num::Min(_)) { "min" } else { "max" };
                // The parser guarantees at least two arguments.
                Ok((best.unwrap_or_default(), format!("{name}({})", texts.join(", "))))
            }
            Num::Floor(inner) => {
                let (value, text) = inner.eval(env, trace)?;
                Ok((value.floor(), format!("floor({text})")))
            }
            Num::Ceil(inner) => {
                let (value, text) = inner.eval(env, trace)?;
                Ok((value.ceil(), format!("ceil({text})")))
            }
            Num::If(cond, then, otherwise) => {
                if cond.eval(env, trace)? {
                    then.eval(env, trace)
                } else {
                    otherwise.eval(env, trace)
                }
            }
        }
    }
}

impl Text {
    fn eval(&self, env: &dyn Env, trace: &mut Trace) -> Result<String, EvalError> {
        match self {
            Text::Lit(text) => Ok(text.clone()),
            Text::Input(name) => {
                let value = env.text(name)?;
                trace.record(name.clone(), value.clone());
                Ok(value)
            }
        }
    }
}

impl Cond {
    pub(crate) fn eval(&self, env: &dyn Env, trace: &mut Trace) -> Result<bool, EvalError> {
        match self {
            Cond::Cmp(op, left, right) => {
                let (a, _) = left.eval(env, trace)?;
                let (b, _) = right.eval(env, trace)?;
                Ok(op.holds(&a, &b))
            }
            Cond::TextCmp(op, left, right) => {
                let (a, b) = (left.eval(env, trace)?, right.eval(env, trace)?);
                Ok(op.holds(&a, &b))
            }
            Cond::And(left, right) => Ok(left.eval(env, trace)? && right.eval(env, trace)?),
            Cond::Or(left, right) => Ok(left.eval(env, trace)? || right.eval(env, trace)?),
            Cond::Not(inner) => Ok(!inner.eval(env, trace)?),
            Cond::Group(inner) => inner.eval(env, trace),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Symbolic rendering

fn arith_symbol(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "+",
        ArithOp::Sub => "−",
        ArithOp::Mul => "×",
        ArithOp::Div => "÷",
    }
}

fn join(items: &[Num]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Lit(value) => f.write_str(&fmt_decimal(*value)),
            Num::Input(name) => f.write_str(name),
            Num::LookupByNumber(table, key) => write!(f, "{table}({key})"),
            Num::LookupByText(table, key) => write!(f, "{table}({key})"),
            Num::Neg(inner) => write!(f, "−{inner}"),
            Num::Arith(op, left, right) => write!(f, "{left} {} {right}", arith_symbol(*op)),
            Num::Group(inner) => write!(f, "({inner})"),
            Num::Min(args) => write!(f, "min({})", join(args)),
            Num::Max(args) => write!(f, "max({})", join(args)),
            Num::Floor(inner) => write!(f, "floor({inner})"),
            Num::Ceil(inner) => write!(f, "ceil({inner})"),
            Num::If(cond, then, otherwise) => write!(f, "if({cond}, {then}, {otherwise})"),
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Lit(text) => write!(f, "\"{text}\""),
            Text::Input(name) => f.write_str(name),
        }
    }
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cond::Cmp(op, left, right) => write!(f, "{left} {} {right}", op.symbol()),
            Cond::TextCmp(op, left, right) => write!(f, "{left} {} {right}", op.symbol()),
            Cond::And(left, right) => write!(f, "{left} and {right}"),
            Cond::Or(left, right) => write!(f, "{left} or {right}"),
            Cond::Not(inner) => write!(f, "not {inner}"),
            Cond::Group(inner) => write!(f, "({inner})"),
        }
    }
}

impl EvalError {
    /// The error for a person, in Persian or English.
    pub fn message(&self, lang: daftar_types::Lang) -> String {
        use daftar_types::Lang;
        match (self, lang) {
            (EvalError::Overflow, Lang::Fa) => "حاصل محاسبه از حد مجاز بزرگ‌تر می‌شود".to_owned(),
            (EvalError::DivisionByZero, Lang::Fa) => "تقسیم بر صفر پیش می‌آید".to_owned(),
            (EvalError::MissingInput(name), Lang::Fa) => format!("مقدار «{name}» داده نشده است"),
            (EvalError::NoTableEntry { table, key }, Lang::Fa) => {
                format!("جدول «{table}» برای {} سطری ندارد", daftar_types::digits::to_persian(key))
            }
            (error, Lang::En) => error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl Env for Fixed {
        fn number(&self, name: &str) -> Result<Decimal, EvalError> {
            match name {
                "area" => Ok(Decimal::new(3805, 1)),
                "P" => Ok(Decimal::from(1_234_567)),
                _ => Err(EvalError::MissingInput(name.to_owned())),
            }
        }
        fn text(&self, _: &str) -> Result<String, EvalError> {
            Ok("parking".to_owned())
        }
        fn lookup_number(&self, _: &str, key: Decimal) -> Result<Decimal, EvalError> {
            Ok(key * Decimal::TWO)
        }
        fn lookup_text(&self, table: &str, key: &str) -> Result<Decimal, EvalError> {
            Err(EvalError::NoTableEntry { table: table.to_owned(), key: key.to_owned() })
        }
    }

    fn scope() -> Scope {
        Scope {
            inputs: [("area", Type::Number), ("P", Type::Number), ("use", Type::Text)]
                .into_iter()
                .map(|(n, t)| (n.to_owned(), t))
                .collect(),
            unavailable: [("level".to_owned(), "is available only in per-level heads")].into(),
            tables: [("double".to_owned(), None), ("tariff".to_owned(), None)].into(),
        }
    }

    fn run(src: &str) -> Result<(Decimal, String), String> {
        let expr = compile_number(src, &mut scope())?;
        expr.eval(&Fixed, &mut Trace::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn precedence_grouping_and_rendering() {
        let expr = compile_number("(area + 1.5) * double(2) - -P / 1000", &mut scope()).unwrap();
        assert_eq!(expr.to_string(), "(area + 1.5) × double(2) − −P ÷ 1000");
        let mut trace = Trace::default();
        let (value, text) = expr.eval(&Fixed, &mut trace).unwrap();
        assert_eq!(value, Decimal::new(2_762_567, 3));
        assert_eq!(text, "(380.5 + 1.5) × 4 − −1234567 ÷ 1000");
        assert_eq!(trace.used[0], ("area".to_owned(), "380.5".to_owned()));
        assert_eq!(trace.used[1], ("double(2)".to_owned(), "4".to_owned()));
    }

    #[test]
    fn functions_and_conditions() {
        assert_eq!(run("min(3, area, 9)").unwrap().0, Decimal::from(3));
        assert_eq!(run("max(3, area)").unwrap().1, "max(3, 380.5)");
        assert_eq!(run("floor(area) + ceil(area)").unwrap().0, Decimal::from(761));
        assert_eq!(run("if(area > 100 and not (P < 0), 1, 2)").unwrap().0, Decimal::ONE);
        assert_eq!(run("if(use == \"office\" or area <= 0, 1, 2)").unwrap().0, Decimal::TWO);
        assert_eq!(run("1 / 0"), Err("division by zero".to_owned()));
        assert_eq!(run("79228162514264337593543950335 * 2"), Err("the arithmetic overflows".to_owned()));
    }

    #[test]
    fn checking_names_types_and_shape() {
        let err = |src: &str| compile_number(src, &mut scope()).unwrap_err();
        assert!(err("areaa * P").contains("unknown input `areaa`"));
        assert!(err("level * P").contains("available only in per-level heads"));
        assert!(err("sqrt(P)").contains("unknown function or table `sqrt`"));
        assert!(err("use * 2").contains("is text"));
        assert!(err("area > 2").contains("condition where a number"));
        assert!(err("min(1)").contains("two or more"));
        assert!(err("double(1) + double(use)").contains("both by number and by text"));
        assert!(err("1 < 2 < 3").contains("chained"));
        assert!(err("area = 2").contains("`==`"));
        assert!(err("\"open").contains("unterminated"));
        assert!(err("(1 + 2").contains("expected `)`"));
        assert!(err("1 2").contains("after the end"));
        assert!(err("1.2.3").contains("not a number"));
        assert!(err("").contains("empty"));
        assert!(err(&"(".repeat(40)).contains("nested"));
        assert!(err(&"-".repeat(40)).contains("nested"));
        assert!(err(&"1+".repeat(600)).contains("longer than"));
        let cond = |src: &str| compile_condition(src, &mut scope()).map(|c| c.to_string());
        assert_eq!(cond("area >= 2 and use != \"x\"").unwrap(), "area ≥ 2 and use ≠ \"x\"");
        assert!(cond("area").unwrap_err().contains("where a condition"));
        assert!(cond("use < \"x\"").unwrap_err().contains("only be compared"));
    }

    #[test]
    fn table_key_types_are_recorded() {
        let mut scope = scope();
        compile_number("double(area) + tariff(use)", &mut scope).unwrap();
        assert_eq!(scope.tables["double"], Some(Type::Number));
        assert_eq!(scope.tables["tariff"], Some(Type::Text));
    }
}
