//! Sample evidence workbooks.

use crate::testset::TestSet;

#[derive(Default, Clone, Debug)]
pub struct SampleOptions {
    pub wrong_amount_case: Option<String>,
    pub omit_tab: Option<u8>,
    pub zip: ZipVariant,
    pub cfdi_without_deduction: bool,
    pub wrong_json: bool,
    pub pad_to_bytes: Option<usize>,
}

#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub enum ZipVariant {
    #[default]
    Valid,
    Broken,
    Bomb,
    PathTraversal,
}

pub fn workbook_xlsx(set: &TestSet, options: &SampleOptions) -> Vec<u8> {
    let _ = (set, options);
    todo!()
}
