//! Reading the models: every `diesel::table!` and `joinable!` of a
//! `schema.rs`, parsed with syn.

use std::path::Path;

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, Item, Lit, Macro, Token};

use crate::model::{Column, ForeignKey, Schema, SqlType, Table};
use crate::parse_error::{ParseError, ParseErrorList, ParseErrors};

/// Reads the `schema.rs` at `path`.
///
/// The path is shown in errors as given.
pub fn parse_file(path: &Path) -> Result<Schema, ParseErrors> {
    let display = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(source) => parse_str(&source, &display),
        Err(error) => Err(ParseErrors {
            errors: ParseErrorList::one(ParseError {
                file: display.clone(),
                line: 1,
                column: 1,
                message: format!(
                    "cannot read `{display}`: {error}: pass the path of diesel's `schema.rs`"
                ),
            }),
        }),
    }
}

/// Reads the source of a `schema.rs`; `file` names it in errors.
///
/// Every `diesel::table!` and `table!` is read, at the top level and inside
/// `mod` blocks, with several tables per invocation, `#[sql_name]` on tables
/// and columns, `use` lines, explicit or default (`id`) primary keys,
/// `Nullable<…>` and diesel's type names and aliases. `joinable!(child ->
/// parent (column))` becomes a foreign key to the parent's primary key.
/// Other macros, such as `allow_tables_to_appear_in_same_query!`, are
/// ignored.
///
/// ```
/// use revchain_schema::{parse_str, SqlType};
///
/// let schema = parse_str(
///     r#"
///     diesel::table! {
///         users (id) {
///             id -> Integer,
///             email -> Nullable<Text>,
///         }
///     }
///     "#,
///     "src/schema.rs",
/// )
/// .unwrap();
/// let users = schema.table("users").unwrap();
/// assert_eq!(users.primary_key, ["id"]);
/// assert_eq!(users.columns[1].sql_type, SqlType::Text);
/// assert!(users.columns[1].nullable);
///
/// let error = parse_str("diesel::table! { users { id -> } }", "src/schema.rs").unwrap_err();
/// assert!(error.to_string().starts_with("src/schema.rs:1:"));
/// ```
pub fn parse_str(source: &str, file: &str) -> Result<Schema, ParseErrors> {
    let mut reader = Reader {
        file,
        errors: Vec::new(),
        tables: Vec::new(),
        joinables: Vec::new(),
    };
    match syn::parse_file(source) {
        Ok(parsed) => reader.items(&parsed.items),
        Err(error) => reader.syn_error(&error, "fix the Rust syntax of the file"),
    }
    let schema = reader.finish();
    reader.errors.sort_by_key(|e| (e.line, e.column));
    match ParseErrorList::from_vec(reader.errors) {
        None => Ok(schema),
        Some(errors) => Err(ParseErrors { errors }),
    }
}

/// The Rust name and the SQL name of each column of a table.
type ColumnNames = Vec<(String, String)>;

struct Reader<'a> {
    file: &'a str,
    errors: Vec<ParseError>,
    tables: Vec<(Ident, Table, ColumnNames)>,
    joinables: Vec<Joinable>,
}

/// `joinable!(child -> parent (column))`.
struct Joinable {
    child: Ident,
    parent: Ident,
    column: Ident,
}

impl Reader<'_> {
    fn error(&mut self, span: Span, message: String) {
        let start = span.start();
        self.errors.push(ParseError {
            file: self.file.to_owned(),
            line: start.line,
            column: start.column + 1,
            message,
        });
    }

    fn syn_error(&mut self, error: &syn::Error, help: &str) {
        for error in error.clone() {
            self.error(error.span(), format!("{error}: {help}"));
        }
    }

    fn items(&mut self, items: &[Item]) {
        for item in items {
            match item {
                Item::Macro(item) => self.invocation(&item.mac),
                Item::Mod(module) => {
                    if let Some((_, items)) = &module.content {
                        self.items(items);
                    }
                }
                _ => {}
            }
        }
    }

    fn invocation(&mut self, mac: &Macro) {
        let path: Vec<String> = mac
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let is = |name: &str| match path.as_slice() {
            [only] => only == name,
            [krate, last] => krate == "diesel" && last == name,
            _ => false,
        };
        if is("table") {
            match mac.parse_body::<TableDecls>() {
                Ok(decls) => {
                    for decl in decls.0 {
                        self.table(decl);
                    }
                }
                Err(error) => self.syn_error(
                    &error,
                    "write `name (primary key) { column -> Type, … }` as diesel's `table!` expects",
                ),
            }
        } else if is("joinable") {
            match mac.parse_body::<Joinable>() {
                Ok(joinable) => self.joinables.push(joinable),
                Err(error) => {
                    self.syn_error(&error, "write `joinable!(child -> parent (foreign_key))`")
                }
            }
        }
    }

    fn table(&mut self, decl: TableDecl) {
        if let Some(schema) = &decl.schema {
            self.error(
                schema.span(),
                format!(
                    "table `{schema}.{}` is in another schema, which revchain does not compare yet: move it to the default schema or leave it out of this file",
                    decl.name
                ),
            );
            return;
        }
        let name = self
            .sql_name(&decl.attrs)
            .unwrap_or_else(|| decl.name.unraw().to_string());
        if self.tables.iter().any(|(ident, _, _)| *ident == decl.name) {
            self.error(
                decl.name.span(),
                format!(
                    "table `{}` is defined twice: remove one of the definitions",
                    decl.name
                ),
            );
            return;
        }
        let mut table = Table::new(name.clone());
        let mut idents: Vec<(Ident, String)> = Vec::new();
        for column in decl.columns {
            let column_name = self
                .sql_name(&column.attrs)
                .unwrap_or_else(|| column.name.unraw().to_string());
            if table.column(&column_name).is_some() {
                self.error(
                    column.name.span(),
                    format!(
                        "column `{column_name}` appears twice in table `{name}`: remove one of them"
                    ),
                );
                continue;
            }
            let Some((sql_type, nullable)) = self.column_type(&column.ty) else {
                continue;
            };
            let mut model = Column::new(column_name.clone(), sql_type, nullable);
            model.max_length = self.max_length(&column.attrs);
            table.columns.push(model);
            idents.push((column.name, column_name));
        }
        let (keys, span) = match decl.primary_key {
            Some((keys, span)) => (keys, span),
            None => (vec![Ident::new("id", decl.name.span())], decl.name.span()),
        };
        for key in keys {
            match idents.iter().find(|(ident, _)| ident.unraw() == key.unraw()) {
                Some((_, column)) => table.primary_key.push(column.clone()),
                None => self.error(
                    if span.start() == decl.name.span().start() {
                        span
                    } else {
                        key.span()
                    },
                    format!(
                        "the primary key of table `{name}` names column `{}`, which the table does not have: add the column or name the primary key, as in `{} (key) {{ … }}`",
                        key.unraw(),
                        decl.name
                    ),
                ),
            }
        }
        let columns = idents
            .into_iter()
            .map(|(ident, sql)| (ident.unraw().to_string(), sql))
            .collect();
        self.tables.push((decl.name, table, columns));
    }

    /// The type of a column and whether it is nullable.
    fn column_type(&mut self, ty: &syn::Type) -> Option<(SqlType, bool)> {
        let (name, argument) = self.type_name(ty)?;
        if name == "Nullable" {
            let Some(inner) = argument else {
                self.error(
                    type_span(ty),
                    "`Nullable` needs the type it wraps: write `Nullable<Text>`".to_owned(),
                );
                return None;
            };
            let sql_type = self.sql_type(inner)?;
            return Some((sql_type, true));
        }
        Some((self.sql_type(ty)?, false))
    }

    fn sql_type(&mut self, ty: &syn::Type) -> Option<SqlType> {
        let (name, argument) = self.type_name(ty)?;
        match (name.as_str(), argument) {
            ("Nullable", Some(inner)) => self.sql_type(inner),
            ("Array", Some(inner)) => Some(SqlType::Array(Box::new(self.sql_type(inner)?))),
            ("Unsigned", Some(inner)) => Some(SqlType::Unsigned(Box::new(self.sql_type(inner)?))),
            ("Nullable" | "Array" | "Unsigned", None) => {
                self.error(
                    type_span(ty),
                    format!("`{name}` needs the type it wraps: write `{name}<Integer>`"),
                );
                None
            }
            (name, _) => Some(SqlType::from_diesel(name)),
        }
    }

    /// The last segment of a type's path and its one type argument, if any.
    fn type_name<'t>(&mut self, ty: &'t syn::Type) -> Option<(String, Option<&'t syn::Type>)> {
        let syn::Type::Path(path) = ty else {
            self.error(
                type_span(ty),
                "expected the name of an SQL type, such as `Integer` or `Nullable<Text>`: write one of diesel's `sql_types`".to_owned(),
            );
            return None;
        };
        let segment = path.path.segments.last()?;
        let argument = match &segment.arguments {
            syn::PathArguments::AngleBracketed(arguments) => {
                arguments.args.iter().find_map(|a| match a {
                    syn::GenericArgument::Type(ty) => Some(ty),
                    _ => None,
                })
            }
            _ => None,
        };
        Some((segment.ident.unraw().to_string(), argument))
    }

    fn sql_name(&mut self, attrs: &[Attribute]) -> Option<String> {
        let attr = attrs.iter().find(|a| a.path().is_ident("sql_name"))?;
        match string_value(attr) {
            Some(value) => Some(value),
            None => {
                self.error(
                    attr_span(attr),
                    "`sql_name` takes a string: write `#[sql_name = \"name\"]`".to_owned(),
                );
                None
            }
        }
    }

    fn max_length(&mut self, attrs: &[Attribute]) -> Option<u32> {
        let attr = attrs.iter().find(|a| a.path().is_ident("max_length"))?;
        let value = match &attr.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(lit) => match &lit.lit {
                    Lit::Int(int) => int.base10_parse::<u32>().ok(),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        if value.is_none() {
            self.error(
                attr_span(attr),
                "`max_length` takes a number: write `#[max_length = 255]`".to_owned(),
            );
        }
        value
    }

    /// The schema, with the foreign keys of `joinable!` resolved.
    fn finish(&mut self) -> Schema {
        let joinables = std::mem::take(&mut self.joinables);
        for joinable in joinables {
            let child = self
                .tables
                .iter()
                .position(|(i, _, _)| *i == joinable.child);
            let parent = self
                .tables
                .iter()
                .position(|(i, _, _)| *i == joinable.parent);
            let (Some(child), Some(parent)) = (child, parent) else {
                for ident in [&joinable.child, &joinable.parent] {
                    if !self.tables.iter().any(|(i, _, _)| i == ident) {
                        self.error(
                            ident.span(),
                            format!(
                                "`joinable!` names table `{ident}`, which no `table!` defines: define it or fix the name"
                            ),
                        );
                    }
                }
                continue;
            };
            let (_, parent_table, _) = &self.tables[parent];
            let referenced_table = parent_table.name.clone();
            let referenced_columns = parent_table.primary_key.clone();
            if referenced_columns.len() != 1 {
                let message = format!(
                    "`joinable!` makes `{}` reference `{}`, whose primary key is not one column: diesel joins on a single-column primary key",
                    joinable.child, joinable.parent
                );
                self.error(joinable.parent.span(), message);
                continue;
            }
            // The column is named by its Rust name; find its SQL name.
            let rust_name = joinable.column.unraw().to_string();
            let column = self.tables[child]
                .2
                .iter()
                .find(|(rust, _)| *rust == rust_name)
                .map(|(_, sql)| sql.clone());
            let Some(column) = column else {
                let message = format!(
                    "`joinable!` names column `{}`, which table `{}` does not have: add the column or fix the name",
                    joinable.column.unraw(),
                    joinable.child
                );
                self.error(joinable.column.span(), message);
                continue;
            };
            let fk = ForeignKey {
                columns: vec![column],
                referenced_table,
                referenced_columns,
                name: None,
            };
            let child_table = &mut self.tables[child].1;
            if !child_table.foreign_keys.iter().any(|f| f.same_as(&fk)) {
                child_table.foreign_keys.push(fk);
            }
        }
        Schema {
            tables: self.tables.iter().map(|(_, t, _)| t.clone()).collect(),
            dialect: None,
        }
    }
}

fn string_value(attr: &Attribute) -> Option<String> {
    match &attr.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(s) => Some(s.value()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

fn attr_span(attr: &Attribute) -> Span {
    attr.pound_token.span
}

fn type_span(ty: &syn::Type) -> Span {
    syn::spanned::Spanned::span(ty)
}

/// The body of one `table!`: one or more table declarations.
struct TableDecls(Vec<TableDecl>);

struct TableDecl {
    attrs: Vec<Attribute>,
    schema: Option<Ident>,
    name: Ident,
    primary_key: Option<(Vec<Ident>, Span)>,
    columns: Vec<ColumnDecl>,
}

struct ColumnDecl {
    attrs: Vec<Attribute>,
    name: Ident,
    ty: syn::Type,
}

impl Parse for TableDecls {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut decls = Vec::new();
        loop {
            skip_uses(input)?;
            if input.is_empty() {
                break;
            }
            decls.push(input.parse()?);
        }
        Ok(TableDecls(decls))
    }
}

fn skip_uses(input: ParseStream<'_>) -> syn::Result<()> {
    while input.peek(Token![use]) || (input.peek(Token![pub]) && input.peek2(Token![use])) {
        let _: syn::ItemUse = input.parse()?;
    }
    Ok(())
}

impl Parse for TableDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        skip_uses(input)?;
        let first: Ident = input.call(Ident::parse_any)?;
        let (schema, name) = if input.peek(Token![.]) {
            let _: Token![.] = input.parse()?;
            (Some(first), input.call(Ident::parse_any)?)
        } else {
            (None, first)
        };
        let primary_key = if input.peek(syn::token::Paren) {
            let content;
            let paren = syn::parenthesized!(content in input);
            let keys =
                Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
            Some((keys.into_iter().collect(), paren.span.open()))
        } else {
            None
        };
        let content;
        syn::braced!(content in input);
        let columns = Punctuated::<ColumnDecl, Token![,]>::parse_terminated(&content)?;
        Ok(TableDecl {
            attrs,
            schema,
            name,
            primary_key,
            columns: columns.into_iter().collect(),
        })
    }
}

impl Parse for ColumnDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let name = input.call(Ident::parse_any)?;
        let _: Token![->] = input.parse()?;
        let ty = input.parse()?;
        Ok(ColumnDecl { attrs, name, ty })
    }
}

impl Parse for Joinable {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let child = input.call(Ident::parse_any)?;
        let _: Token![->] = input.parse()?;
        let parent = input.call(Ident::parse_any)?;
        let content;
        syn::parenthesized!(content in input);
        let column = content.call(Ident::parse_any)?;
        let _: Option<Token![,]> = content.parse()?;
        Ok(Joinable {
            child,
            parent,
            column,
        })
    }
}
