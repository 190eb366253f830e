//! Roles and the permission matrix. The server checks a permission on every
//! route; this table is the only place that says who may do what.
//!
//! Access rights follow the medical-information security guideline 6.0
//! (システム運用編 14.2): the minimum each job needs, split into read, write
//! and decision rights.

use serde::{Deserialize, Serialize};

/// A job in the clinic. A user has exactly one role per clinic grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Physician,
    Nurse,
    Coordinator,
    Quality,
    Admin,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Physician,
        Role::Nurse,
        Role::Coordinator,
        Role::Quality,
        Role::Admin,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Physician => "physician",
            Role::Nurse => "nurse",
            Role::Coordinator => "coordinator",
            Role::Quality => "quality",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// Whether this role holds `permission`.
    pub fn permits(self, permission: Permission) -> bool {
        use Permission as P;
        use Role as R;
        match permission {
            // Everybody who can sign in sees the home page and manages their
            // own API tokens and language.
            P::ViewHome | P::ManageOwnAccount => true,
            P::ManageUsers | P::ManageSettings | P::ManagePrices => self == R::Admin,
            P::ReadAudit => matches!(self, R::Admin | R::Auditor),
            P::Export => matches!(self, R::Admin | R::Auditor | R::Quality),

            P::SupplyRead => true,
            P::SupplyWrite | P::LotReceive | P::LotRelease | P::LotHoldRecall | P::ColdChainAck => {
                self == R::Quality
            }
            P::StockMove => matches!(self, R::Quality | R::Nurse),

            P::PatientRead => !matches!(self, R::Quality),
            P::PatientWrite => matches!(self, R::Physician | R::Nurse | R::Coordinator),
            P::ScreeningDecide | P::PlanApprove | P::Override | P::AdverseEventAssess => {
                self == R::Physician
            }
            P::ConsentRecord => matches!(self, R::Physician | R::Coordinator),
            P::PlanWrite => matches!(self, R::Physician),

            P::ScheduleRead => !matches!(self, R::Quality),
            P::ScheduleWrite => matches!(self, R::Coordinator | R::Nurse | R::Physician),

            P::Administer => matches!(self, R::Nurse | R::Physician),
            P::AdverseEventReport => matches!(self, R::Nurse | R::Physician | R::Quality),
            P::SafetyRead => true,
            P::RecallManage => matches!(self, R::Quality | R::Physician),

            P::ContractRead => {
                matches!(self, R::Coordinator | R::Admin | R::Auditor | R::Physician)
            }
            P::ContractWrite | P::PaymentRecord => matches!(self, R::Coordinator | R::Admin),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a person may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ViewHome,
    ManageOwnAccount,
    ManageUsers,
    ManageSettings,
    ManagePrices,
    ReadAudit,
    Export,
    SupplyRead,
    SupplyWrite,
    LotReceive,
    LotRelease,
    LotHoldRecall,
    ColdChainAck,
    StockMove,
    PatientRead,
    PatientWrite,
    ScreeningDecide,
    ConsentRecord,
    PlanWrite,
    PlanApprove,
    ScheduleRead,
    ScheduleWrite,
    Administer,
    Override,
    AdverseEventReport,
    AdverseEventAssess,
    SafetyRead,
    RecallManage,
    ContractRead,
    ContractWrite,
    PaymentRecord,
}

impl Permission {
    pub const ALL: [Permission; 31] = [
        Permission::ViewHome,
        Permission::ManageOwnAccount,
        Permission::ManageUsers,
        Permission::ManageSettings,
        Permission::ManagePrices,
        Permission::ReadAudit,
        Permission::Export,
        Permission::SupplyRead,
        Permission::SupplyWrite,
        Permission::LotReceive,
        Permission::LotRelease,
        Permission::LotHoldRecall,
        Permission::ColdChainAck,
        Permission::StockMove,
        Permission::PatientRead,
        Permission::PatientWrite,
        Permission::ScreeningDecide,
        Permission::ConsentRecord,
        Permission::PlanWrite,
        Permission::PlanApprove,
        Permission::ScheduleRead,
        Permission::ScheduleWrite,
        Permission::Administer,
        Permission::Override,
        Permission::AdverseEventReport,
        Permission::AdverseEventAssess,
        Permission::SafetyRead,
        Permission::RecallManage,
        Permission::ContractRead,
        Permission::ContractWrite,
        Permission::PaymentRecord,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auditor_is_read_only() {
        let writes = [
            Permission::ManageUsers,
            Permission::SupplyWrite,
            Permission::LotRelease,
            Permission::PatientWrite,
            Permission::Administer,
            Permission::ContractWrite,
            Permission::PaymentRecord,
            Permission::Override,
            Permission::ScheduleWrite,
        ];
        for p in writes {
            assert!(!Role::Auditor.permits(p), "auditor must not hold {p:?}");
        }
        assert!(Role::Auditor.permits(Permission::ReadAudit));
    }

    #[test]
    fn audit_log_is_for_admin_and_auditor_only() {
        for r in Role::ALL {
            assert_eq!(
                r.permits(Permission::ReadAudit),
                matches!(r, Role::Admin | Role::Auditor),
                "{r}"
            );
        }
    }

    #[test]
    fn physician_decisions_belong_to_physicians() {
        for p in [
            Permission::ScreeningDecide,
            Permission::PlanApprove,
            Permission::Override,
            Permission::AdverseEventAssess,
        ] {
            for r in Role::ALL {
                assert_eq!(r.permits(p), r == Role::Physician, "{r} {p:?}");
            }
        }
    }

    #[test]
    fn lot_release_is_quality_only() {
        for r in Role::ALL {
            assert_eq!(r.permits(Permission::LotRelease), r == Role::Quality);
        }
    }

    #[test]
    fn every_role_has_a_name_that_parses_back() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("owner"), None);
    }
}
