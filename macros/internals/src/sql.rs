//! Splitting SQL files into statements, per dialect.
