/**
 * Customer tax ID types and the formats the local endpoint checks, as Stripe validates a tax
 * ID's format when it is added (`tax_id_invalid`, "Invalid value for eu_vat."). Pure data.
 * Formats are checked on the value upper-cased without spaces, dots and hyphens; types not in
 * `FORMATS` take any non-empty value (see docs/local-stripe.md, "Tax").
 */

/** Every type the API version accepts (Stripe's `TaxId.Type`, without the legacy `unknown`). */
export const TAX_ID_TYPES = [
  'ad_nrt', 'ae_trn', 'al_tin', 'am_tin', 'ao_tin', 'ar_cuit', 'au_abn', 'au_acn', 'au_arn', 'au_wpn', 'aw_tin', 'az_tin',
  'ba_tin', 'bb_tin', 'bd_bin', 'bf_ifu', 'bg_uic', 'bh_vat', 'bj_ifu', 'bo_tin', 'br_cnpj', 'br_cpf', 'bs_tin', 'bw_vat',
  'by_tin', 'ca_bn', 'ca_gst_hst', 'ca_pst_bc', 'ca_pst_mb', 'ca_pst_sk', 'ca_qst', 'cd_nif', 'ch_uid', 'ch_vat', 'ci_vat',
  'cl_tin', 'cm_niu', 'cn_tin', 'co_nit', 'cr_tin', 'cv_nif', 'cz_dic', 'de_stn', 'do_rcn', 'ec_ruc', 'eg_tin', 'es_cif',
  'et_tin', 'eu_oss_vat', 'eu_vat', 'fo_vat', 'fr_siren', 'fr_siret', 'fr_spi', 'gb_vat', 'ge_vat', 'gh_tin', 'gi_tin',
  'gn_nif', 'hk_br', 'hr_oib', 'hu_tin', 'ic_nif', 'id_npwp', 'il_vat', 'in_gst', 'is_kt', 'is_vat', 'it_cf', 'jp_cn',
  'jp_rn', 'jp_trn', 'ke_pin', 'kg_tin', 'kh_tin', 'kr_brn', 'kz_bin', 'la_tin', 'li_uid', 'li_vat', 'lk_vat', 'ma_vat',
  'md_cf', 'md_vat', 'me_pib', 'mk_vat', 'mr_nif', 'mu_vat', 'mx_rfc', 'my_frp', 'my_itn', 'my_sst', 'mz_nuit', 'ng_tin',
  'no_vat', 'no_voec', 'np_pan', 'nz_bn', 'nz_gst', 'om_vat', 'pe_ruc', 'ph_tin', 'pl_nip', 'pt_nif', 'py_ruc', 'ro_tin',
  'rs_pib', 'ru_inn', 'ru_kpp', 'sa_vat', 'sg_gst', 'sg_uen', 'si_tin', 'sm_coe', 'sn_ninea', 'sr_fin', 'sv_nit', 'th_vat',
  'tj_tin', 'tr_tin', 'tt_bir', 'tt_vat', 'tw_vat', 'tz_vat', 'ua_vat', 'ug_tin', 'us_ein', 'uy_ruc', 'uz_tin', 'uz_vat',
  've_rif', 'vn_tin', 'za_vat', 'zm_tin', 'zw_tin',
] as const;

export type TaxIdType = (typeof TAX_ID_TYPES)[number];

/**
 * EU VAT numbers by the member state prefix they start with (VIES formats). Greece uses `EL`;
 * `XI` is Northern Ireland, which keeps EU VAT numbers for goods.
 */
const EU_VAT: Readonly<Record<string, RegExp>> = {
  AT: /^ATU\d{8}$/,
  BE: /^BE[01]\d{9}$/,
  BG: /^BG\d{9,10}$/,
  CY: /^CY\d{8}[A-Z]$/,
  CZ: /^CZ\d{8,10}$/,
  DE: /^DE\d{9}$/,
  DK: /^DK\d{8}$/,
  EE: /^EE\d{9}$/,
  EL: /^EL\d{9}$/,
  ES: /^ES[A-Z0-9]\d{7}[A-Z0-9]$/,
  FI: /^FI\d{8}$/,
  FR: /^FR[A-HJ-NP-Z0-9]{2}\d{9}$/,
  HR: /^HR\d{11}$/,
  HU: /^HU\d{8}$/,
  IE: /^IE(\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])$/,
  IT: /^IT\d{11}$/,
  LT: /^LT(\d{9}|\d{12})$/,
  LU: /^LU\d{8}$/,
  LV: /^LV\d{11}$/,
  MT: /^MT\d{8}$/,
  NL: /^NL\d{9}B\d{2}$/,
  PL: /^PL\d{10}$/,
  PT: /^PT\d{9}$/,
  RO: /^RO\d{2,10}$/,
  SE: /^SE\d{10}01$/,
  SI: /^SI\d{8}$/,
  SK: /^SK\d{10}$/,
  XI: /^XI(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/,
};

/** Formats of the other types the local endpoint checks. */
const FORMATS: Partial<Record<TaxIdType, RegExp>> = {
  gb_vat: /^GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/,
  ch_vat: /^CHE\d{9}(MWST|TVA|IVA)$/,
  no_vat: /^(NO)?\d{9}MVA$/,
  us_ein: /^\d{9}$/,
  au_abn: /^\d{11}$/,
  ca_bn: /^\d{9}$/,
};

const normalized = (value: string): string => value.toUpperCase().replace(/[\s.-]/g, '');

/** The VAT prefix's country: Greece is `EL` in VAT numbers, Northern Ireland `XI`. */
const PREFIX_COUNTRY: Readonly<Record<string, string>> = { EL: 'GR', XI: 'GB' };

/** Whether Stripe would accept `value` as a tax ID of `type`. */
export const validTaxId = (type: TaxIdType, value: string): boolean => {
  const v = normalized(value);
  if (v === '') return false;
  if (type === 'us_ein' && !/^\d{2}-?\d{7}$/.test(value.trim())) return false;
  if (type === 'eu_vat') {
    const format = EU_VAT[v.slice(0, 2)];
    return format !== undefined && format.test(v);
  }
  return FORMATS[type]?.test(v) ?? true;
};

/** The tax ID's country (`tax_id.country`): an EU VAT number's from its prefix, else the type's. */
export const taxIdCountry = (type: TaxIdType, value: string): string | null => {
  if (type === 'eu_oss_vat') return null;
  if (type === 'eu_vat') {
    const prefix = normalized(value).slice(0, 2);
    return PREFIX_COUNTRY[prefix] ?? prefix;
  }
  return type.slice(0, 2).toUpperCase();
};

/** Types whose numbers Stripe checks against a government registry after they are added. */
export const VERIFIED_TYPES: ReadonlySet<TaxIdType> = new Set<TaxIdType>(['eu_vat', 'gb_vat', 'au_abn']);
