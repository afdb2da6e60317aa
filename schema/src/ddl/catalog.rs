//! Replays DDL statements on a set of tables, the way MySQL would.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, CreateIndex, CreateTable,
    CreateTableLikeKind, Expr, IndexColumn, ObjectName, ObjectNamePart, ObjectType,
    RenameTableNameKind, Statement, TableConstraint,
};
use sqlparser::tokenizer::Token;

use crate::same_name;
use crate::sql_type::SqlType;
use crate::table::{Column, Index, Table};

/// The tables a script leaves behind.
#[derive(Debug, Default, Clone)]
pub(crate) struct Catalog {
    pub tables: Vec<Table>,
}

impl Catalog {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| same_table(&t.name, name))
    }

    fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        self.tables.iter_mut().find(|t| same_table(&t.name, name))
    }

    fn remove(&mut self, name: &str) -> Option<Table> {
        let index = self.tables.iter().position(|t| same_table(&t.name, name))?;
        Some(self.tables.remove(index))
    }

    /// Applies one statement. Statements that do not change a table's columns or keys
    /// (`SET`, `INSERT`, views, grants, ...) change nothing.
    pub fn apply(&mut self, statement: &Statement) {
        match statement {
            Statement::CreateTable(create) => self.create_table(create),
            Statement::AlterTable(alter) => {
                let name = table_name(&alter.name);
                if let Some(table) = self.table_mut(&name) {
                    for operation in &alter.operations {
                        alter_table(table, operation);
                    }
                }
                for operation in &alter.operations {
                    if let AlterTableOperation::RenameTable { table_name: to } = operation {
                        let to = match to {
                            RenameTableNameKind::As(to) | RenameTableNameKind::To(to) => to,
                        };
                        self.rename(&name, &table_name(to));
                    }
                }
            }
            Statement::RenameTable(renames) => {
                for rename in renames {
                    self.rename(&table_name(&rename.old_name), &table_name(&rename.new_name));
                }
            }
            Statement::Drop {
                object_type: ObjectType::Table,
                names,
                ..
            } => {
                for name in names {
                    self.remove(&table_name(name));
                }
            }
            Statement::Drop {
                object_type: ObjectType::Index,
                names,
                table: Some(table),
                ..
            } => {
                if let Some(table) = self.table_mut(&table_name(table)) {
                    for name in names {
                        drop_index(table, &table_name(name));
                    }
                }
            }
            Statement::CreateIndex(index) => self.create_index(index),
            _ => {}
        }
    }

    fn create_table(&mut self, create: &CreateTable) {
        let name = table_name(&create.name);
        if self.table(&name).is_some() {
            if create.if_not_exists {
                return;
            }
            self.remove(&name);
        }
        let mut table = Table::new(name);
        if let Some(like) = &create.like {
            // `CREATE TABLE t LIKE s`: the same columns and keys as `s`.
            let (CreateTableLikeKind::Parenthesized(like) | CreateTableLikeKind::Plain(like)) =
                like;
            if let Some(source) = self.table(&table_name(&like.name)) {
                table = Table {
                    name: table.name,
                    ..source.clone()
                };
            }
        }
        for def in &create.columns {
            add_column(&mut table, def);
        }
        for constraint in &create.constraints {
            add_constraint(&mut table, constraint);
        }
        self.tables.push(table);
    }

    fn create_index(&mut self, index: &CreateIndex) {
        if !index.unique {
            return;
        }
        if let Some(table) = self.table_mut(&table_name(&index.table_name)) {
            let name = index.name.as_ref().map(table_name);
            add_unique(table, name, index_columns(&index.columns));
        }
    }

    /// `ALTER TABLE t RENAME INDEX from TO to`.
    pub fn rename_index(&mut self, table: &str, from: &str, to: &str) {
        let Some(table) = self.table_mut(table) else {
            return;
        };
        for key in &mut table.unique_keys {
            if key.name.as_deref().is_some_and(|n| same_name(n, from)) {
                key.name = Some(to.to_string());
            }
        }
    }

    fn rename(&mut self, from: &str, to: &str) {
        if let Some(table) = self.table_mut(from) {
            table.name = to.to_string();
        }
    }
}

/// Table names compare without case here: which case matters depends on the server's
/// `lower_case_table_names`, and a table named twice in different cases is a mistake anyway.
fn same_table(a: &str, b: &str) -> bool {
    same_name(a, b)
}

/// The last part of a possibly qualified name (`db.table` is checked as `table`).
fn table_name(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => ident.value.clone(),
        _ => name.to_string(),
    }
}

fn alter_table(table: &mut Table, operation: &AlterTableOperation) {
    use AlterTableOperation as Op;
    match operation {
        Op::AddColumn {
            column_def,
            if_not_exists,
            ..
        } if !(*if_not_exists && table.column(&column_def.name.value).is_some()) => {
            add_column(table, column_def);
        }
        Op::DropColumn { column_names, .. } => {
            for name in column_names {
                table.drop_column(&name.value);
            }
        }
        Op::ModifyColumn {
            col_name,
            data_type,
            options,
            ..
        } => redefine_column(table, &col_name.value, &col_name.value, data_type, options),
        Op::ChangeColumn {
            old_name,
            new_name,
            data_type,
            options,
            ..
        } => redefine_column(table, &old_name.value, &new_name.value, data_type, options),
        Op::RenameColumn {
            old_column_name,
            new_column_name,
        } => table.rename_column(&old_column_name.value, &new_column_name.value),
        Op::AlterColumn { column_name, op } => {
            if let Some(column) = table.column_mut(&column_name.value) {
                match op {
                    AlterColumnOperation::SetNotNull => column.nullable = false,
                    AlterColumnOperation::DropNotNull => column.nullable = true,
                    AlterColumnOperation::SetDefault { .. } => column.has_default = true,
                    AlterColumnOperation::DropDefault => column.has_default = false,
                    AlterColumnOperation::SetDataType { data_type, .. } => {
                        column.ty = SqlType::from_data_type(data_type);
                    }
                    _ => {}
                }
            }
        }
        Op::AddConstraint { constraint, .. } => add_constraint(table, constraint),
        Op::DropPrimaryKey { .. } => table.primary_key = None,
        Op::DropIndex { name } | Op::DropConstraint { name, .. } => {
            drop_index(table, &name.value);
        }
        _ => {}
    }
}

fn drop_index(table: &mut Table, name: &str) {
    if same_name(name, "PRIMARY") {
        table.primary_key = None;
    }
    table
        .unique_keys
        .retain(|k| !k.name.as_deref().is_some_and(|n| same_name(n, name)));
}

/// `MODIFY` / `CHANGE`: a new definition in place of the old one, keeping its keys.
fn redefine_column(
    table: &mut Table,
    old: &str,
    new: &str,
    data_type: &sqlparser::ast::DataType,
    options: &[ColumnOption],
) {
    if table.column(old).is_none() {
        return;
    }
    table.rename_column(old, new);
    let in_primary_key = table
        .primary_key
        .as_ref()
        .is_some_and(|k| k.columns.iter().any(|c| same_name(c, new)));
    let column = column_from(new, data_type, options.iter(), in_primary_key);
    if let Some(slot) = table.column_mut(new) {
        *slot = column;
    }
    apply_inline_keys(table, new, options.iter());
}

fn add_column(table: &mut Table, def: &ColumnDef) {
    let options = def.options.iter().map(|o| &o.option);
    let column = column_from(&def.name.value, &def.data_type, options.clone(), false);
    table.columns.push(column);
    apply_inline_keys(table, &def.name.value, options);
}

fn column_from<'a>(
    name: &str,
    data_type: &sqlparser::ast::DataType,
    options: impl Iterator<Item = &'a ColumnOption>,
    in_primary_key: bool,
) -> Column {
    let mut column = Column {
        name: name.to_string(),
        ty: SqlType::from_data_type(data_type),
        nullable: !in_primary_key,
        has_default: false,
        auto_increment: false,
        generated: false,
    };
    for option in options {
        match option {
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_) => column.nullable = false,
            ColumnOption::Null => column.nullable = true,
            ColumnOption::Default(_) => column.has_default = true,
            ColumnOption::Generated { .. } | ColumnOption::Alias(_) => column.generated = true,
            // How MariaDB spells JSON: LONGTEXT CHECK (json_valid(`c`)).
            ColumnOption::Check(check)
                if check
                    .expr
                    .to_string()
                    .to_ascii_lowercase()
                    .starts_with("json_valid(") =>
            {
                column.ty = SqlType::Json;
            }
            ColumnOption::DialectSpecific(tokens) if is_auto_increment(tokens) => {
                column.auto_increment = true;
            }
            ColumnOption::CharacterSet(charset)
                if table_name(charset).eq_ignore_ascii_case("binary") =>
            {
                column.ty = column.ty.in_binary_character_set();
            }
            _ => {}
        }
    }
    column
}

fn is_auto_increment(tokens: &[Token]) -> bool {
    tokens.iter().any(|t| match t {
        Token::Word(word) => word.value.eq_ignore_ascii_case("AUTO_INCREMENT"),
        _ => false,
    })
}

/// `PRIMARY KEY` / `UNIQUE` written on the column itself.
fn apply_inline_keys<'a>(
    table: &mut Table,
    column: &str,
    options: impl Iterator<Item = &'a ColumnOption>,
) {
    for option in options {
        match option {
            ColumnOption::PrimaryKey(_) => {
                table.primary_key = Some(Index {
                    name: None,
                    columns: vec![column.to_string()],
                });
            }
            ColumnOption::Unique(unique) => {
                let name = unique.index_name.as_ref().map(|i| i.value.clone());
                add_unique(table, name, vec![column.to_string()]);
            }
            _ => {}
        }
    }
}

fn add_constraint(table: &mut Table, constraint: &TableConstraint) {
    match constraint {
        TableConstraint::PrimaryKey(pk) => {
            let columns = index_columns(&pk.columns);
            for name in &columns {
                if let Some(column) = table.column_mut(name) {
                    column.nullable = false;
                }
            }
            table.primary_key = Some(Index {
                name: None,
                columns,
            });
        }
        TableConstraint::Unique(unique) => {
            let name = unique
                .index_name
                .as_ref()
                .or(unique.name.as_ref())
                .map(|i| i.value.clone());
            add_unique(table, name, index_columns(&unique.columns));
        }
        _ => {}
    }
}

fn add_unique(table: &mut Table, name: Option<String>, columns: Vec<String>) {
    // MySQL names an unnamed unique key after its first column.
    let name = name.or_else(|| columns.first().cloned());
    table.unique_keys.push(Index { name, columns });
}

/// Key parts that are plain columns; a prefix (`name(10)`) or expression part keeps its
/// column name when there is one.
fn index_columns(columns: &[IndexColumn]) -> Vec<String> {
    columns
        .iter()
        .filter_map(|c| match &c.column.expr {
            Expr::Identifier(ident) => Some(ident.value.clone()),
            Expr::Function(function) => Some(table_name(&function.name)),
            Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()),
            _ => None,
        })
        .collect()
}
