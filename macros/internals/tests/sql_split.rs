//! `revchain_internals::sql::split`, feature by feature and on real-world
//! migration files.

// The helpers below are test code too: a failed check should fail the test.
#![allow(clippy::unwrap_used, clippy::panic)]

use revchain_internals::sql::{Dialect, Statement, is_placeholder, split};

const ALL: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

fn texts(sql: &str, dialect: Dialect) -> Vec<&str> {
    let statements = split(sql, dialect).unwrap_or_else(|e| panic!("{dialect}: {e}"));
    check_invariants(sql, &statements);
    statements.iter().map(|s| s.text).collect()
}

fn lines(sql: &str, dialect: Dialect) -> Vec<usize> {
    split(sql, dialect)
        .unwrap_or_else(|e| panic!("{dialect}: {e}"))
        .iter()
        .map(|s| s.line)
        .collect()
}

fn error(sql: &str, dialect: Dialect) -> (usize, String) {
    match split(sql, dialect) {
        Ok(statements) => panic!("{dialect}: expected an error, got {statements:?}"),
        Err(e) => (e.line(), e.to_string()),
    }
}

fn check_invariants(sql: &str, statements: &[Statement<'_>]) {
    let mut previous_end = 0;
    for statement in statements {
        assert!(statement.span.start >= previous_end);
        assert_eq!(&sql[statement.span.clone()], statement.text);
        assert!(!statement.text.is_empty());
        assert_eq!(
            statement.text,
            statement
                .text
                .trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r'))
        );
        assert_eq!(
            statement.line,
            1 + sql[..statement.span.start].matches('\n').count()
        );
        previous_end = statement.span.end;
    }
}

// --- dialect names -----------------------------------------------------------

#[test]
fn dialect_parses_every_accepted_name() {
    for (name, dialect) in [
        ("sqlite", Dialect::Sqlite),
        ("SQLite", Dialect::Sqlite),
        ("postgres", Dialect::Postgres),
        ("postgresql", Dialect::Postgres),
        ("pg", Dialect::Postgres),
        ("mysql", Dialect::Mysql),
        ("MariaDB", Dialect::Mysql),
        (" mysql ", Dialect::Mysql),
    ] {
        assert_eq!(name.parse::<Dialect>(), Ok(dialect), "{name}");
    }
}

#[test]
fn dialect_displays_its_canonical_name_and_round_trips() {
    for dialect in ALL {
        assert_eq!(dialect.to_string(), dialect.as_str());
        assert_eq!(dialect.to_string().parse::<Dialect>(), Ok(dialect));
    }
    assert_eq!(Dialect::Postgres.to_string(), "postgres");
}

#[test]
fn dialect_rejects_unknown_names_with_a_clear_message() {
    let error = "oracle".parse::<Dialect>().unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("unknown SQL dialect `oracle`"),
        "{message}"
    );
    assert!(message.contains("`sqlite`") && message.contains("`mysql`"));
    assert!(!message.ends_with('.'));
    assert!("".parse::<Dialect>().is_err());
}

// --- basics, all dialects ----------------------------------------------------

#[test]
fn splits_on_semicolons_and_trims_every_dialect() {
    for dialect in ALL {
        assert_eq!(
            texts(
                "  CREATE TABLE a (id INT);\n\tINSERT INTO a VALUES (1) ;\n",
                dialect
            ),
            ["CREATE TABLE a (id INT)", "INSERT INTO a VALUES (1)"],
            "{dialect}"
        );
    }
}

#[test]
fn last_statement_without_terminator_is_kept() {
    for dialect in ALL {
        assert_eq!(
            texts("SELECT 1;\nSELECT 2\n", dialect),
            ["SELECT 1", "SELECT 2"]
        );
    }
}

#[test]
fn empty_input_and_whitespace_give_no_statement() {
    for dialect in ALL {
        assert!(texts("", dialect).is_empty());
        assert!(texts(" \n\t\r\n", dialect).is_empty());
        assert!(is_placeholder("", dialect));
    }
}

#[test]
fn empty_statements_are_skipped() {
    for dialect in ALL {
        assert_eq!(
            texts(";;SELECT 1;; ;\n;\nSELECT 2;;", dialect),
            ["SELECT 1", "SELECT 2"],
            "{dialect}"
        );
        assert!(texts(";; ; \n ;", dialect).is_empty());
    }
}

#[test]
fn comment_only_files_are_placeholders_in_every_dialect() {
    let sql = "-- This file was left empty on purpose.\n/* nothing\n   to do */\n-- ;\n";
    for dialect in ALL {
        assert!(texts(sql, dialect).is_empty(), "{dialect}");
        assert!(is_placeholder(sql, dialect), "{dialect}");
        assert!(is_placeholder("/* a */ ; -- b\n;", dialect), "{dialect}");
        assert!(!is_placeholder("SELECT 1", dialect), "{dialect}");
    }
}

#[test]
fn comments_before_a_statement_are_left_out_and_inner_ones_kept() {
    for dialect in ALL {
        let sql = "-- lead\n/* block */ SELECT 1 /* inner */ + 1 -- trailing\n;";
        assert_eq!(
            texts(sql, dialect),
            ["SELECT 1 /* inner */ + 1"],
            "{dialect}"
        );
    }
}

#[test]
fn semicolons_inside_comments_do_not_split() {
    for dialect in ALL {
        let sql = "SELECT 1 -- a; b\n + /* c; d */ 2;\nSELECT 3;";
        assert_eq!(
            texts(sql, dialect),
            ["SELECT 1 -- a; b\n + /* c; d */ 2", "SELECT 3"],
            "{dialect}"
        );
    }
}

#[test]
fn single_quoted_strings_with_doubled_quotes_do_not_split() {
    for dialect in ALL {
        let sql = "INSERT INTO t VALUES ('it''s; here', ';');SELECT 2;";
        assert_eq!(
            texts(sql, dialect),
            ["INSERT INTO t VALUES ('it''s; here', ';')", "SELECT 2"],
            "{dialect}"
        );
    }
}

#[test]
fn line_numbers_point_at_the_first_token() {
    for dialect in ALL {
        let sql = "-- header\n\nCREATE TABLE a (id INT);\n/* x\n y */ SELECT\n1;\n\n\nSELECT 2;";
        assert_eq!(lines(sql, dialect), [3, 5, 9], "{dialect}");
    }
}

#[test]
fn crlf_line_endings_are_whitespace() {
    for dialect in ALL {
        let sql = "-- c\r\nSELECT 1;\r\nSELECT 2;\r\n";
        assert_eq!(texts(sql, dialect), ["SELECT 1", "SELECT 2"]);
        assert_eq!(lines(sql, dialect), [2, 3]);
    }
}

#[test]
fn byte_order_mark_is_skipped() {
    for dialect in ALL {
        let sql = "\u{feff}SELECT 1;";
        assert_eq!(texts(sql, dialect), ["SELECT 1"]);
    }
}

#[test]
fn begin_and_commit_are_transaction_statements() {
    for dialect in ALL {
        let sql = "BEGIN;\nCREATE TABLE a (id INT);\nCOMMIT;\nBEGIN TRANSACTION;\nSELECT 1;\nEND;";
        assert_eq!(
            texts(sql, dialect),
            [
                "BEGIN",
                "CREATE TABLE a (id INT)",
                "COMMIT",
                "BEGIN TRANSACTION",
                "SELECT 1",
                "END"
            ],
            "{dialect}"
        );
    }
}

#[test]
fn unterminated_string_runs_to_the_end_as_the_last_statement() {
    for dialect in ALL {
        let sql = "SELECT 1;\nSELECT 'oops; SELECT 2;\n";
        assert_eq!(
            texts(sql, dialect),
            ["SELECT 1", "SELECT 'oops; SELECT 2;"],
            "{dialect}"
        );
    }
}

#[test]
fn non_ascii_text_is_handled() {
    for dialect in ALL {
        let sql = "INSERT INTO t VALUES ('é;日本');\nSELECT naïve FROM café;";
        assert_eq!(
            texts(sql, dialect),
            ["INSERT INTO t VALUES ('é;日本')", "SELECT naïve FROM café"],
            "{dialect}"
        );
    }
}

// --- SQLite ------------------------------------------------------------------

#[test]
fn sqlite_double_quoted_backtick_and_bracket_identifiers_do_not_split() {
    let sql = "CREATE TABLE \"a;b\" (`c;d` INT, [e;f] INT, \"g\"\"h;\" INT);SELECT 1;";
    assert_eq!(
        texts(sql, Dialect::Sqlite),
        [
            "CREATE TABLE \"a;b\" (`c;d` INT, [e;f] INT, \"g\"\"h;\" INT)",
            "SELECT 1"
        ]
    );
}

#[test]
fn sqlite_backslash_does_not_escape_in_strings() {
    assert_eq!(
        texts("SELECT 'a\\';SELECT 2;", Dialect::Sqlite),
        ["SELECT 'a\\'", "SELECT 2"]
    );
}

#[test]
fn sqlite_block_comments_do_not_nest() {
    assert_eq!(
        texts("/* a /* b */ SELECT 1; */", Dialect::Sqlite),
        ["SELECT 1", "*/"]
    );
}

#[test]
fn sqlite_unterminated_block_comment_is_a_comment() {
    assert_eq!(
        texts("SELECT 1;\n/* unfinished", Dialect::Sqlite),
        ["SELECT 1"]
    );
}

#[test]
fn sqlite_trigger_body_is_one_statement() {
    let sql = "\
CREATE TRIGGER t_audit AFTER UPDATE ON t
BEGIN
    INSERT INTO audit VALUES (old.id, 'update');
    UPDATE t SET n = CASE WHEN new.n > 0 THEN new.n ELSE 0 END WHERE id = new.id;
END;
CREATE TEMP TRIGGER IF NOT EXISTS t2 AFTER DELETE ON t BEGIN DELETE FROM audit; END;
SELECT 1;";
    let got = texts(sql, Dialect::Sqlite);
    assert_eq!(got.len(), 3, "{got:#?}");
    assert!(got[0].starts_with("CREATE TRIGGER t_audit") && got[0].ends_with("END"));
    assert_eq!(
        got[1],
        "CREATE TEMP TRIGGER IF NOT EXISTS t2 AFTER DELETE ON t BEGIN DELETE FROM audit; END"
    );
    assert_eq!(got[2], "SELECT 1");
}

#[test]
fn sqlite_hash_and_dollar_are_not_special() {
    assert_eq!(
        texts("SELECT $a, 'x' # 1;SELECT $$;", Dialect::Sqlite),
        ["SELECT $a, 'x' # 1", "SELECT $$"]
    );
}

#[test]
fn sqlite_dot_commands_are_refused() {
    let (line, message) = error("SELECT 1;\n.mode csv\n", Dialect::Sqlite);
    assert_eq!(line, 2);
    assert_eq!(
        message,
        "sqlite3 dot-command `.mode` on line 2 cannot be run by revchain"
    );
}

// --- PostgreSQL --------------------------------------------------------------

#[test]
fn postgres_block_comments_nest() {
    assert_eq!(
        texts("/* a /* b; */ still; */ SELECT 1;", Dialect::Postgres),
        ["SELECT 1"]
    );
}

#[test]
fn postgres_unterminated_block_comment_is_sent_for_the_server_to_report() {
    assert_eq!(
        texts("SELECT 1;\n/* unfinished", Dialect::Postgres),
        ["SELECT 1", "/* unfinished"]
    );
}

#[test]
fn postgres_double_quoted_identifiers_do_not_split() {
    assert_eq!(
        texts(
            "CREATE TABLE \"a;\"\"b\" (id int);SELECT 1;",
            Dialect::Postgres
        ),
        ["CREATE TABLE \"a;\"\"b\" (id int)", "SELECT 1"]
    );
}

#[test]
fn postgres_backslash_escapes_only_in_e_strings() {
    assert_eq!(
        texts(
            "SELECT E'a\\';b';SELECT 'c\\';SELECT e'\\\\';",
            Dialect::Postgres
        ),
        ["SELECT E'a\\';b'", "SELECT 'c\\'", "SELECT e'\\\\'"]
    );
}

#[test]
fn postgres_dollar_quotes_hold_semicolons() {
    let sql = "DO $$ BEGIN PERFORM 1; END $$;\nSELECT $fn$ a; $$ b; $fn$;\nSELECT 1;";
    assert_eq!(
        texts(sql, Dialect::Postgres),
        [
            "DO $$ BEGIN PERFORM 1; END $$",
            "SELECT $fn$ a; $$ b; $fn$",
            "SELECT 1"
        ]
    );
}

#[test]
fn postgres_parameters_and_identifier_dollars_are_not_dollar_quotes() {
    let sql = "PREPARE p AS SELECT $1 + $2;\nSELECT a$b$ FROM t;\nSELECT 2;";
    assert_eq!(
        texts(sql, Dialect::Postgres),
        [
            "PREPARE p AS SELECT $1 + $2",
            "SELECT a$b$ FROM t",
            "SELECT 2"
        ]
    );
}

#[test]
fn postgres_unterminated_dollar_quote_runs_to_the_end() {
    assert_eq!(
        texts("SELECT 1;\nDO $$ BEGIN; END;", Dialect::Postgres),
        ["SELECT 1", "DO $$ BEGIN; END;"]
    );
}

#[test]
fn postgres_begin_atomic_function_body_is_one_statement() {
    let sql = "\
CREATE OR REPLACE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
    SELECT CASE WHEN a > 0 THEN a ELSE 0 END + b;
END;
CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;
BEGIN;
SELECT 1;";
    let got = texts(sql, Dialect::Postgres);
    assert_eq!(got.len(), 4, "{got:#?}");
    assert!(got[0].ends_with("a ELSE 0 END + b;\nEND"));
    assert_eq!(
        got[1],
        "CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END"
    );
    assert_eq!(&got[2..], ["BEGIN", "SELECT 1"]);
}

#[test]
fn postgres_semicolons_inside_parentheses_do_not_split() {
    let sql = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1;";
    assert_eq!(
        texts(sql, Dialect::Postgres),
        [
            "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))",
            "SELECT 1"
        ]
    );
}

#[test]
fn postgres_hash_and_backtick_are_not_special() {
    assert_eq!(
        texts("SELECT 1 # 2;SELECT '`';", Dialect::Postgres),
        ["SELECT 1 # 2", "SELECT '`'"]
    );
}

#[test]
fn postgres_array_brackets_are_not_identifiers() {
    assert_eq!(
        texts("SELECT a[1] FROM t;SELECT ']';", Dialect::Postgres),
        ["SELECT a[1] FROM t", "SELECT ']'"]
    );
}

#[test]
fn postgres_psql_meta_commands_are_refused() {
    let (line, message) = error("SELECT 1;\n\n\\connect other\n", Dialect::Postgres);
    assert_eq!(line, 3);
    assert_eq!(
        message,
        "psql meta-command `\\connect` on line 3 cannot be run by revchain"
    );
    let (line, message) = error("-- x\n\\set ON_ERROR_STOP on\n", Dialect::Postgres);
    assert_eq!(line, 2);
    assert!(
        message.starts_with("psql meta-command `\\set`"),
        "{message}"
    );
}

#[test]
fn postgres_backslash_inside_quotes_is_not_a_meta_command() {
    assert_eq!(
        texts(
            "SELECT '\\n', \"a\\b\", $$ \\x $$ -- \\c\n;",
            Dialect::Postgres
        ),
        ["SELECT '\\n', \"a\\b\", $$ \\x $$"]
    );
}

#[test]
fn postgres_copy_from_stdin_is_refused() {
    let (line, message) = error(
        "SELECT 1;\nCOPY t (a) FROM stdin;\n1\n\\.\n",
        Dialect::Postgres,
    );
    assert_eq!(line, 2);
    assert!(
        message.starts_with("`COPY ... FROM STDIN` on line 2"),
        "{message}"
    );
    assert_eq!(
        texts(
            "COPY t FROM '/tmp/x.csv';\nCOPY (SELECT 1 FROM stdin) TO STDOUT;",
            Dialect::Postgres
        )
        .len(),
        2
    );
}

// --- MySQL / MariaDB ---------------------------------------------------------

#[test]
fn mysql_hash_comments_are_comments() {
    assert_eq!(
        texts(
            "# header; still comment\nSELECT 1; # trailing; comment\nSELECT 2;",
            Dialect::Mysql
        ),
        ["SELECT 1", "SELECT 2"]
    );
    assert!(is_placeholder("# only a comment;\n", Dialect::Mysql));
}

#[test]
fn mysql_double_dash_needs_whitespace_to_be_a_comment() {
    assert_eq!(
        texts(
            "SELECT 1--1;\nSELECT 2 --\n;SELECT 3 -- x;\n;",
            Dialect::Mysql
        ),
        ["SELECT 1--1", "SELECT 2", "SELECT 3"]
    );
}

#[test]
fn mysql_block_comments_do_not_nest() {
    assert_eq!(
        texts("/* a /* b */ SELECT 1;", Dialect::Mysql),
        ["SELECT 1"]
    );
}

#[test]
fn mysql_executable_comments_are_statements() {
    let sql = "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*M!100000 SET x = 1 */;\n";
    assert_eq!(
        texts(sql, Dialect::Mysql),
        [
            "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */",
            "/*M!100000 SET x = 1 */"
        ]
    );
    assert!(!is_placeholder(
        "/*!40101 SET NAMES utf8 */;",
        Dialect::Mysql
    ));
}

#[test]
fn mysql_backslash_escapes_in_single_and_double_quoted_strings() {
    assert_eq!(
        texts(
            "SELECT 'a\\';b', \"c\\\";d\", 'e''f;';SELECT 2;",
            Dialect::Mysql
        ),
        ["SELECT 'a\\';b', \"c\\\";d\", 'e''f;'", "SELECT 2"]
    );
}

#[test]
fn mysql_backtick_identifiers_do_not_split() {
    assert_eq!(
        texts("CREATE TABLE `a;``b` (`c\\` INT);SELECT 1;", Dialect::Mysql),
        ["CREATE TABLE `a;``b` (`c\\` INT)", "SELECT 1"]
    );
}

#[test]
fn mysql_delimiter_lines_change_the_terminator_and_are_not_statements() {
    let sql = "\
DELIMITER //
CREATE PROCEDURE p()
BEGIN
  SELECT 1;
  SELECT 2;
END //
delimiter $$
CREATE FUNCTION f() RETURNS INT RETURN 1$$
DELIMITER ;
SELECT 3;
";
    let statements = split(sql, Dialect::Mysql).unwrap();
    check_invariants(sql, &statements);
    let got: Vec<&str> = statements.iter().map(|s| s.text).collect();
    assert_eq!(
        got,
        [
            "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND",
            "CREATE FUNCTION f() RETURNS INT RETURN 1",
            "SELECT 3"
        ]
    );
    assert_eq!(
        statements.iter().map(|s| s.line).collect::<Vec<_>>(),
        [2, 8, 10]
    );
}

#[test]
fn mysql_delimiter_is_found_inside_words_but_not_strings() {
    let sql = "DELIMITER ;;\nSELECT 'a;;b';SELECT 2;;\nDELIMITER ;\n";
    assert_eq!(texts(sql, Dialect::Mysql), ["SELECT 'a;;b';SELECT 2"]);
    let sql = "DELIMITER $$\nSELECT 1$$SELECT a$$\n";
    assert_eq!(texts(sql, Dialect::Mysql), ["SELECT 1", "SELECT a"]);
}

#[test]
fn mysql_delimiter_without_argument_is_refused() {
    let (line, message) = error("SELECT 1;\nDELIMITER\n", Dialect::Mysql);
    assert_eq!(line, 2);
    assert_eq!(
        message,
        "`DELIMITER` on line 2 must be followed by the new delimiter"
    );
    let (_, message) = error("DELIMITER a\\b\n", Dialect::Mysql);
    assert!(message.contains("cannot contain a backslash"), "{message}");
}

#[test]
fn mysql_delimiter_word_mid_statement_is_sql() {
    assert_eq!(
        texts("CREATE TABLE t (\ndelimiter INT\n);", Dialect::Mysql),
        ["CREATE TABLE t (\ndelimiter INT\n)"]
    );
}

#[test]
fn delimiter_is_only_a_command_in_mysql() {
    assert_eq!(
        texts("DELIMITER //\nSELECT 1;", Dialect::Postgres),
        ["DELIMITER //\nSELECT 1"]
    );
}

#[test]
fn mysql_routine_bodies_without_delimiter_are_one_statement() {
    let sql = "\
CREATE DEFINER=`root`@`localhost` PROCEDURE fill(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  ins: WHILE i < n DO
    IF i % 2 = 0 THEN
      INSERT INTO t VALUES (i, IF(i > 3, 'big', 'small'));
    ELSEIF i = 5 THEN
      LEAVE ins;
    ELSE
      CASE i WHEN 1 THEN SELECT 1; ELSE SELECT CASE WHEN i > 2 THEN 'x' ELSE 'y' END; END CASE;
    END IF;
    SET i = i + 1;
  END WHILE ins;
  REPEAT SET i = i - 1; UNTIL i <= 0 END REPEAT;
  l: LOOP LEAVE l; END LOOP l;
  SELECT REPEAT('a', 2);
END;
SELECT 1;";
    let got = texts(sql, Dialect::Mysql);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(got[0].ends_with("SELECT REPEAT('a', 2);\nEND"));
    assert_eq!(got[1], "SELECT 1");
}

#[test]
fn mysql_functions_events_and_single_statement_triggers() {
    let sql = "\
CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN CASE WHEN x > 0 THEN x ELSE 0 END;
CREATE FUNCTION IF NOT EXISTS g() RETURNS INT BEGIN RETURN 1; END;
CREATE TRIGGER t1 BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1;
CREATE TRIGGER t2 BEFORE INSERT ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF;
CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END;
DROP PROCEDURE IF EXISTS p;
SELECT IF(1, 2, 3);";
    assert_eq!(
        texts(sql, Dialect::Mysql),
        [
            "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN CASE WHEN x > 0 THEN x ELSE 0 END",
            "CREATE FUNCTION IF NOT EXISTS g() RETURNS INT BEGIN RETURN 1; END",
            "CREATE TRIGGER t1 BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
            "CREATE TRIGGER t2 BEFORE INSERT ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF",
            "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END",
            "DROP PROCEDURE IF EXISTS p",
            "SELECT IF(1, 2, 3)"
        ]
    );
}

#[test]
fn mysql_case_expression_then_if_function_does_not_open_a_block() {
    let sql = "CREATE PROCEDURE p() BEGIN SELECT CASE WHEN a THEN IF(b, 1, 2) ELSE IF(c, 3, 4) END FROM t; END;\nSELECT 1;";
    assert_eq!(texts(sql, Dialect::Mysql).len(), 2);
}

#[test]
fn mariadb_compound_statements_outside_programs() {
    let sql = "BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; IF x THEN SELECT 1; END IF; END;\nIF 1 THEN SELECT 2; END IF;\nBEGIN WORK;\nCOMMIT;";
    assert_eq!(
        texts(sql, Dialect::Mysql),
        [
            "BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; IF x THEN SELECT 1; END IF; END",
            "IF 1 THEN SELECT 2; END IF",
            "BEGIN WORK",
            "COMMIT"
        ]
    );
}

#[test]
fn mysqldump_style_trigger_in_executable_comments() {
    let sql = "\
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN
  SET NEW.a = 1;
END */;;
DELIMITER ;
/*!40101 SET character_set_client = @saved_cs_client */;
";
    let got = texts(sql, Dialect::Mysql);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(got[0].starts_with("/*!50003 CREATE*/") && got[0].ends_with("END */"));
}

#[test]
fn mysql_backslash_n_null_outside_strings_is_sent() {
    assert_eq!(texts("SELECT \\N;", Dialect::Mysql), ["SELECT \\N"]);
}

// --- real-world samples ------------------------------------------------------

#[test]
fn alembic_style_offline_script() {
    let sql = "\
-- Running upgrade  -> 1975ea83b712

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);;

CREATE TABLE account (
    id SERIAL NOT NULL,
    name VARCHAR(50) NOT NULL,
    description VARCHAR(200),
    PRIMARY KEY (id)
);;

INSERT INTO alembic_version (version_num) VALUES ('1975ea83b712');;

-- Running upgrade 1975ea83b712 -> ae1027a6acf

ALTER TABLE account ADD COLUMN last_transaction_date TIMESTAMP WITHOUT TIME ZONE;;

UPDATE alembic_version SET version_num='ae1027a6acf' WHERE alembic_version.version_num = '1975ea83b712';;

";
    for dialect in ALL {
        let statements = split(sql, dialect).unwrap();
        check_invariants(sql, &statements);
        assert_eq!(statements.len(), 5, "{dialect}");
        assert_eq!(
            statements.iter().map(|s| s.line).collect::<Vec<_>>(),
            [3, 8, 15, 19, 21]
        );
        assert!(statements[4].text.starts_with("UPDATE alembic_version"));
    }
}

#[test]
fn postgres_plpgsql_trigger_function() {
    let sql = r#"-- keep updated_at current
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger AS $$
BEGIN
    IF (NEW IS DISTINCT FROM OLD AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) THEN
        NEW.updated_at := current_timestamp;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION diesel_manage_updated_at(_tbl regclass) RETURNS VOID AS $body$
BEGIN
    EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON %s
                    FOR EACH ROW EXECUTE PROCEDURE set_updated_at()', _tbl);
END;
$body$ LANGUAGE plpgsql;

CREATE TABLE posts (id SERIAL PRIMARY KEY, title TEXT NOT NULL, updated_at TIMESTAMP NOT NULL DEFAULT now());
SELECT diesel_manage_updated_at('posts');
"#;
    let statements = split(sql, Dialect::Postgres).unwrap();
    check_invariants(sql, &statements);
    assert_eq!(statements.len(), 4, "{statements:#?}");
    assert_eq!(
        statements.iter().map(|s| s.line).collect::<Vec<_>>(),
        [2, 11, 18, 19]
    );
    assert!(statements[0].text.ends_with("$$ LANGUAGE plpgsql"));
    assert!(statements[1].text.ends_with("$body$ LANGUAGE plpgsql"));
}

#[test]
fn sqlite_trigger_migration() {
    let sql = "\
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT);

-- keep updated_at current
CREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes
FOR EACH ROW
BEGIN
    UPDATE notes SET updated_at = datetime('now') WHERE id = NEW.id;
    SELECT CASE WHEN NEW.body = '' THEN RAISE(ABORT, 'empty; body') END;
END;

INSERT INTO notes (body) VALUES ('first');
";
    let statements = split(sql, Dialect::Sqlite).unwrap();
    check_invariants(sql, &statements);
    assert_eq!(statements.len(), 3, "{statements:#?}");
    assert_eq!(
        statements.iter().map(|s| s.line).collect::<Vec<_>>(),
        [1, 4, 11]
    );
}

/// The same trigger, as written for the `mysql` client and as written for a
/// driver.
const MYSQL_TRIGGER_DELIMITER: &str = "\
CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL, status VARCHAR(10));

DELIMITER //
CREATE TRIGGER accounts_check BEFORE UPDATE ON accounts
FOR EACH ROW
BEGIN
    IF NEW.balance < 0 THEN
        SET NEW.status = 'overdrawn';
    ELSE
        SET NEW.status = CASE WHEN NEW.balance = 0 THEN 'empty' ELSE 'ok' END;
    END IF;
END//
DELIMITER ;

INSERT INTO accounts VALUES (1, 10, NULL);
";

const MYSQL_TRIGGER_PLAIN: &str = "\
CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL, status VARCHAR(10));

CREATE TRIGGER accounts_check BEFORE UPDATE ON accounts
FOR EACH ROW
BEGIN
    IF NEW.balance < 0 THEN
        SET NEW.status = 'overdrawn';
    ELSE
        SET NEW.status = CASE WHEN NEW.balance = 0 THEN 'empty' ELSE 'ok' END;
    END IF;
END;

INSERT INTO accounts VALUES (1, 10, NULL);
";

#[test]
fn mysql_trigger_with_delimiter_and_without_split_alike() {
    let with = texts(MYSQL_TRIGGER_DELIMITER, Dialect::Mysql);
    let without = texts(MYSQL_TRIGGER_PLAIN, Dialect::Mysql);
    assert_eq!(with.len(), 3, "{with:#?}");
    assert_eq!(with, without);
    assert!(with[1].starts_with("CREATE TRIGGER") && with[1].ends_with("END IF;\nEND"));
    assert_eq!(lines(MYSQL_TRIGGER_DELIMITER, Dialect::Mysql), [1, 4, 15]);
}

#[test]
fn mysqldump_header_is_statements_not_comments() {
    let sql = "\
-- MySQL dump 10.13
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40103 SET TIME_ZONE='+00:00' */;
";
    assert_eq!(texts(sql, Dialect::Mysql).len(), 2);
}

// --- behaviours checked against the real clients -----------------------------

#[test]
fn postgres_numbers_do_not_swallow_dollar_quotes() {
    assert_eq!(
        texts("SELECT 1$$;$$;SELECT 2;", Dialect::Postgres),
        ["SELECT 1$$;$$", "SELECT 2"]
    );
}

#[test]
fn mysql_dash_lines_between_statements_are_comments_like_in_the_client() {
    assert_eq!(
        texts(
            "----------\n--x;\nSELECT 1;\nSELECT 2,\n--3\n;",
            Dialect::Mysql
        ),
        ["SELECT 1", "SELECT 2,\n--3"]
    );
}

#[test]
fn mysql_client_backslash_commands_are_refused() {
    let (line, message) = error("SELECT 1;\nSELECT 2\\G\n", Dialect::Mysql);
    assert_eq!(line, 2);
    assert_eq!(
        message,
        "mysql client command `\\G` on line 2 cannot be run by revchain"
    );
}

#[test]
fn only_ascii_whitespace_separates_tokens() {
    // A no-break space is statement text to every database.
    assert_eq!(
        texts("\u{a0}SELECT 1;", Dialect::Postgres),
        ["\u{a0}SELECT 1"]
    );
}
