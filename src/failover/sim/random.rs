//! Randomized fault schedules (to come).
